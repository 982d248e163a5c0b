import { readFileSync } from 'node:fs';
import t from 'tap';
import { configSchema } from '../../../src/config/schema.js';
import { ERRORS } from '../../../src/errors.js';

// The README is the operator's reference: a config key or an error code cannot be added without it.
const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');

type Schema = { _zod: { def: Record<string, unknown> & { type: string } } };

function configKeys(s: Schema, path: string, out: string[]): string[] {
  const def = s._zod.def;
  switch (def.type) {
    case 'default':
    case 'prefault':
    case 'optional':
    case 'nullable':
    case 'readonly':
      return configKeys(def.innerType as Schema, path, out);
    case 'pipe':
      return configKeys(def.in as Schema, path, out);
    case 'array':
      return configKeys(def.element as Schema, `${path}[]`, out);
    case 'object':
      for (const [key, value] of Object.entries(def.shape as Record<string, Schema>)) {
        const p = path ? `${path}.${key}` : key;
        out.push(p);
        configKeys(value, p, out);
      }
      return out;
    default:
      return out;
  }
}

t.test('docs: every config key is in the README configuration reference', async (t) => {
  const keys = configKeys(configSchema as unknown as Schema, '', []);
  t.ok(keys.length > 80, `${keys.length} keys found in the schema`);
  for (const key of keys) t.ok(readme.includes(`| \`${key}\` |`), `README documents ${key}`);
});

t.test('docs: every error code is in the README error table', async (t) => {
  for (const [code, spec] of Object.entries(ERRORS)) t.ok(readme.includes(`| \`${code}\` | ${spec.http} |`), `README documents ${code} (${spec.http})`);
});
