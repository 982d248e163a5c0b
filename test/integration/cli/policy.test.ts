import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { KEYWARD_CLI } from '../../helpers/child.js';

const exec = promisify(execFile);
const keyward = (args: string[]) =>
  exec(process.execPath, [...KEYWARD_CLI, ...args]).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );

const dir = mkdtempSync(join(tmpdir(), 'keyward-policy-'));
const config = join(dir, 'keyward.yaml');
writeFileSync(
  config,
  `
identity:
  issuers: [{ issuer: "https://issuer.example", audiences: [keyward], jwks_uri: "https://issuer.example/jwks" }]
connections:
  - { name: prod, site: datadoghq.com, api_key: 0123456789abcdef0123456789abcdef, groups: [agents] }
policy:
  default: deny
  rules:
    - { name: watch-bots, match: { subject: "bot-*" }, action: deny, dry_run: true }
    - { name: telemetry, match: { class: telemetry-write, groups: [agents] }, action: allow }
    - { name: monitors-need-a-human, match: { method: [POST, PUT], path: /api/v1/monitor/** }, action: require_approval, approval: { approvers: [sre] } }
`,
);

t.test('policy explain: class, every rule considered with why it did not match, the one that decided', async (t) => {
  const r = await keyward(['policy', 'explain', '-c', config, '--subject', 'demo-agent', '--groups', 'agents', 'DELETE', '/api/v1/monitor/42']);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /DELETE \/api\/v1\/monitor\/42\s+→\s+class destructive/);
  t.match(r.stdout, /· +0 watch-bots +deny +no match on subject/);
  t.match(r.stdout, /· +1 telemetry +allow +no match on class/);
  t.match(r.stdout, /· +2 monitors-need-a-human +require_approval +no match on method/);
  t.match(r.stdout, /no rule matched: policy.default decides/);
  t.match(r.stdout, /decision +deny \(rule default\)/);

  const bot = await keyward(['policy', 'explain', '-c', config, '--subject', 'bot-7', '--groups', 'agents', '--json', 'POST', '/api/v2/series']);
  const v = JSON.parse(bot.stdout);
  t.match(v, { action: 'allow', rule: 'telemetry', connection: 'prod', operationClass: 'telemetry-write' });
  t.match(v.explanation.rules[0], { name: 'watch-bots', matched: true, dryRun: true, decided: false }, 'a dry-run match is shown but does not decide');
  t.match(v.explanation.rules[1], { name: 'telemetry', matched: true, decided: true });
});

t.test('policy explain: a refusal before policy (no connection for the groups) is named', async (t) => {
  const r = await keyward(['policy', 'explain', '-c', config, '--subject', 'x', '--groups', 'strangers', 'GET', '/api/v1/validate']);
  t.equal(r.code, 0);
  t.match(r.stdout, /connection +refused: connection_none/);
  t.match(r.stdout, /decision +deny \(connection_none\)/);
});

t.test('policy test: a table of cases; exit 1 naming the mismatch, 0 when all pass', async (t) => {
  const passing = join(dir, 'pass.yaml');
  writeFileSync(passing, `
cases:
  - { name: agents send metrics, subject: demo-agent, groups: [agents], method: POST, path: /api/v2/series, expect: allow, rule: telemetry }
  - { name: monitor edits wait for a human, subject: demo-agent, groups: [agents], method: PUT, path: /api/v1/monitor/5, expect: require_approval }
  - { name: unknown paths are denied, subject: demo-agent, groups: [agents], method: GET, path: /api/v9/whatever, expect: deny, rule: default }
  - { name: strangers get no connection, subject: x, groups: [], method: GET, path: /api/v1/validate, expect: deny, rule: connection_none }
`);
  const ok = await keyward(['policy', 'test', '-c', config, passing]);
  t.equal(ok.code, 0, ok.stdout + ok.stderr);
  t.match(ok.stdout, /4\/4 cases pass/);

  const failing = join(dir, 'fail.yaml');
  writeFileSync(failing, `
cases:
  - { name: deletes are allowed, subject: demo-agent, groups: [agents], method: DELETE, path: /api/v1/monitor/1, expect: allow }
  - { name: metrics by the wrong rule, subject: demo-agent, groups: [agents], method: POST, path: /api/v2/series, expect: allow, rule: other }
  - { subject: demo-agent, groups: [agents], method: POST, path: /api/v2/series, expect: allow }
`);
  const bad = await keyward(['policy', 'test', '-c', config, failing]);
  t.equal(bad.code, 1);
  t.match(bad.stdout, /FAIL deletes are allowed: DELETE \/api\/v1\/monitor\/1 → deny by default \(expected allow\)/);
  t.match(bad.stdout, /FAIL metrics by the wrong rule: .* → allow by telemetry \(expected allow by other\)/);
  t.match(bad.stdout, /ok {3}case 2:/);
  t.match(bad.stdout, /1\/3 cases pass/);
});

t.test('policy test: a malformed cases file is a clear error (exit 2), not a pass', async (t) => {
  const typo = join(dir, 'typo.yaml');
  writeFileSync(typo, 'cases:\n  - { subject: a, method: GET, path: /api/v1/validate, expect: maybe }\n');
  const r = await keyward(['policy', 'test', '-c', config, typo]);
  t.equal(r.code, 2);
  t.match(r.stderr, /error cases_invalid .*typo\.yaml: cases\.0\.expect:/);
  const missing = await keyward(['policy', 'test', '-c', config, join(dir, 'nope.yaml')]);
  t.equal(missing.code, 2);
  t.match(missing.stderr, /error cases_invalid .*nope\.yaml: no such file/);
  const badConfig = await keyward(['policy', 'explain', '-c', join(dir, 'missing.yaml'), '--subject', 'a', 'GET', '/']);
  t.equal(badConfig.code, 2);
  t.match(badConfig.stderr, /error config_invalid/);
});

t.test('policy explain: with several issuers, groups count as the named issuer asserted them', async (t) => {
  const two = join(dir, 'two.yaml');
  writeFileSync(two, `
identity:
  issuers:
    - { issuer: "https://corp.example", name: corp, audiences: [keyward], jwks_uri: "https://corp.example/jwks" }
    - { issuer: "https://partner.example", name: partner, audiences: [keyward], jwks_uri: "https://partner.example/jwks" }
connections:
  - { name: prod, site: datadoghq.com, api_key: 0123456789abcdef0123456789abcdef, groups: ["corp#agents"] }
policy:
  rules:
    - { name: telemetry, match: { class: telemetry-write }, action: allow }
`);
  const unnamed = await keyward(['policy', 'explain', '-c', two, '--subject', 'a', '--groups', 'agents', 'POST', '/api/v2/series']);
  t.equal(unnamed.code, 2);
  t.match(unnamed.stderr, /error usage: the config trusts 2 issuers: name one with --issuer .*corp, partner/);
  const corp = await keyward(['policy', 'explain', '-c', two, '--issuer', 'corp', '--subject', 'a', '--groups', 'agents', 'POST', '/api/v2/series']);
  t.match(corp.stdout, /decision +allow \(rule telemetry\)/);
  const partner = await keyward(['policy', 'explain', '-c', two, '--issuer', 'https://partner.example', '--subject', 'a', '--groups', 'agents', 'POST', '/api/v2/series']);
  t.match(partner.stdout, /connection +refused: connection_none/, "the partner's agents group is not corp's");
});
