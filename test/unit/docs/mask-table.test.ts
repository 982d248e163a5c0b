import { readFileSync } from 'node:fs';
import t from 'tap';
import { builtinDetectors } from '../../../src/mask/detectors/index.js';

// Every finding type the engine can report has a row in the README's "What masking recognises" table.
const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
const start = readme.indexOf('### What masking recognises');
const table = readme.slice(start, readme.indexOf('\n\n', readme.indexOf('| --- |', start)));
/** Types that validators return in place of their detector's own (see `validate` returning a string). */
const RENAMED = ['password', 'generic_secret', 'aws_session_token', 'datadog_personal_access_token', 'datadog_service_access_token', 'registry_token'];

t.test('docs: the masking table lists every finding type', async (t) => {
  t.ok(start >= 0, 'the README has the table');
  for (const type of new Set([...builtinDetectors.map((d) => d.type), ...RENAMED])) t.ok(table.includes(`\`${type}\``), `${type} has a row`);
});
