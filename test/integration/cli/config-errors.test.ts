import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { KEYWARD_CLI } from '../../helpers/child.js';
import { closest, editDistance, knownKeysAt } from '../../../src/config/suggest.js';
import { keywardSchema } from '../../../src/config/schema.js';

const exec = promisify(execFile);
const env = { ...process.env, DD_API_KEY: '0123456789abcdef0123456789abcdef' };
const dir = mkdtempSync(join(tmpdir(), 'keyward-config-errors-'));
const check = async (name: string, yaml: string) => {
  const file = join(dir, name);
  writeFileSync(file, yaml);
  return exec(process.execPath, [...KEYWARD_CLI, 'config', 'check', file], { env }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr, file }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr, file }),
  );
};

const GOOD = `identity:
  issuers: [{ issuer: "https://issuer.example", audiences: [keyward], jwks_uri: "https://issuer.example/jwks" }]
connections:
  - name: prod
    site: datadoghq.com
    api_key: \${env:DD_API_KEY}
    groups: [agents]
policy:
  default: deny
  rules:
    - { name: reads, match: { class: read }, action: allow }
`;

t.test('config check: a misspelled top-level key gets one error at its line with the key it meant', async (t) => {
  const r = await check('polcy.yaml', GOOD.replace('policy:', 'polcy:'));
  t.equal(r.code, 2);
  const lines = r.stderr.trim().split('\n');
  t.equal(lines.length, 1, r.stderr);
  t.equal(lines[0], `error config_invalid ${r.file}:8:1 (root): unknown key \`polcy\` (did you mean \`policy\`?)`);
});

t.test('config check: a misspelled enum value names the value written and the one it meant', async (t) => {
  const r = await check('alow.yaml', GOOD.replace('action: allow', 'action: alow'));
  t.equal(r.code, 2);
  t.match(r.stderr, new RegExp(`^error config_invalid ${r.file.replace(/[.]/g, '\\.')}:11:\\d+ policy\\.rules\\[0\\]\\.action: .*expected one of "allow"\\|"deny"\\|"require_approval", got \`alow\` \\(did you mean \`allow\`\\?\\)\\n$`));
});

t.test('config check: a nested unknown key far from any known one lists the keys that level accepts, no guess', async (t) => {
  const r = await check('zebra.yaml', GOOD.replace('    groups: [agents]', '    groups: [agents]\n    zebra: 1'));
  t.equal(r.code, 2);
  t.match(r.stderr, /:8:5 connections\[0\]: unknown key `zebra`; known keys here: .*\bname\b.*\bapi_key\b/);
  t.notMatch(r.stderr, /did you mean/);
});

t.test('config check: one indentation mistake is one error, at the line of the mistake', async (t) => {
  // `- name: prod` one space left of where it belongs: the parser then trips over every line after it.
  const r = await check('indent.yaml', GOOD.replace('  - name: prod', ' - name: prod'));
  t.equal(r.code, 2);
  const lines = r.stderr.trim().split('\n');
  t.equal(lines.length, 1, r.stderr);
  t.match(lines[0], new RegExp(`^error config_invalid ${r.file.replace(/[.]/g, '\\.')}:4:\\d+ \\(root\\): YAML syntax: `));
});

t.test('config check --json: the same single syntax issue, with line and column', async (t) => {
  const file = join(dir, 'indent.yaml');
  const r = await exec(process.execPath, [...KEYWARD_CLI, 'config', 'check', '--json', file], { env }).catch((e: { stdout: string }) => e);
  const v = JSON.parse(r.stdout);
  t.equal(v.valid, false);
  t.equal(v.issues.length, 1);
  t.match(v.issues[0], { path: '', line: 4, column: Number, message: /^YAML syntax: / });
});

t.test('suggestions: close only, never a tie, never far', async (t) => {
  t.equal(editDistance('polcy', 'policy'), 1);
  t.equal(editDistance('poilcy', 'policy'), 1, 'a transposition is one edit');
  t.equal(closest('redct', ['redact', 'hmac']), 'redact');
  t.equal(closest('zebra', ['policy', 'listen']), undefined, 'nothing close: no guess');
  t.equal(closest('ab', ['ac', 'ad']), undefined, 'a tie: no guess');
  t.ok(knownKeysAt(keywardSchema, []).includes('policy'));
  t.ok(knownKeysAt(keywardSchema, ['connections', 0]).includes('api_key'), 'array elements are stepped into');
  t.same(knownKeysAt(keywardSchema, ['nowhere']), []);
});
