import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { ConfigError, loadConfigFile, parseConfig } from '../../../src/config/load.js';

const API = '0123456789abcdef0123456789abcdef';

function issuesOf(yaml: string, env: NodeJS.ProcessEnv = {}) {
  try {
    parseConfig(yaml, 'k.yaml', { env });
  } catch (e) {
    if (e instanceof ConfigError) return e.issues;
    throw e;
  }
  return [];
}

t.test('config: an empty file gives the documented defaults', async (t) => {
  const c = parseConfig('');
  t.equal(c.listen.authz, '127.0.0.1:9001');
  t.equal(c.policy.default, 'deny');
  t.equal(c.masking.max_body_bytes, 5 * 1024 * 1024);
  t.same(c.identity.issuers, [], 'no issuer is trusted unless configured');
  t.ok(Object.isFrozen(c.policy), 'frozen');
  t.match(c.version, /^[0-9a-f]{12}$/);
});

t.test('config: the product config has no dev issuer; a leftover identity.dev_issuer is refused with its line', async (t) => {
  const issues = issuesOf('identity:\n  dev_issuer:\n    enabled: true\n');
  t.equal(issues.length, 1);
  t.match(issues[0], { path: 'identity', line: 2, message: /dev_issuer/ });
});

t.test('config: errors name the YAML path and line', async (t) => {
  const issues = issuesOf(`listen:
  authz: nowhere
connections:
  - name: prod
    site: datadoghq.org
    api_key: ${API}
    groups: [agents]
    colour: blue
policy:
  rules:
    - action: require_approval
      approval: { approvers: [sre], min_approvals: 0 }
`);
  t.match(issues, [
    { path: 'listen.authz', line: 2, message: /host:port/ },
    { path: 'listen.authz', line: 2, message: /beyond loopback without TLS/ },
    { path: 'connections[0].site', line: 5, message: /expected one of/ },
    { path: 'connections[0]', line: 8, message: /unknown key `colour`/ },
    { path: 'policy.rules[0].approval.min_approvals', line: 12, message: /at least 1/ },
  ]);
});

t.test('config: YAML syntax errors are reported with their line', async (t) => {
  const issues = issuesOf('listen:\n  authz: [unclosed\n');
  t.equal(issues.length > 0, true);
  t.type(issues[0]!.line, 'number');
});

t.test('config: ${env:} and ${file:} are resolved, remembered as secrets, and validated', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kw-cfg-'));
  writeFileSync(join(dir, 'app.key'), 'b'.repeat(40) + '\n');
  writeFileSync(
    join(dir, 'k.yaml'),
    `connections:\n  - { name: prod, site: datadoghq.com, api_key: "\${env:DD_API}", app_key: "\${file:app.key}", groups: [agents] }\n`,
  );
  const c = loadConfigFile(join(dir, 'k.yaml'), { env: { DD_API: API } });
  t.equal(c.connections[0]!.api_key, API);
  t.equal(c.connections[0]!.app_key, 'b'.repeat(40));
  t.same([...c.secrets].sort(), [API, 'b'.repeat(40)].sort());
});

t.test('config: secrets written inline are warnings (path, line) and still scrubbed; references are not', async (t) => {
  const c = parseConfig(
    `listen:\n  context_key: inline-context-key-0123\ndatabase:\n  url: postgres://app:pw-inline@db:5432/x\nconnections:\n  - { name: prod, site: datadoghq.com, api_key: ${API}, groups: [agents] }\n`,
    'k.yaml',
    { env: {} },
  );
  t.same(
    c.warnings.map((w) => [w.path, w.line]),
    [
      ['connections[0].api_key', 6],
      ['listen.context_key', 2],
      ['database.url', 4],
    ],
  );
  t.ok([API, 'inline-context-key-0123', 'postgres://app:pw-inline@db:5432/x'].every((s) => c.secrets.includes(s)), 'inline secrets join the scrub list');
  const refs = parseConfig(`database:\n  url: postgres://localhost/x\nconnections:\n  - { name: prod, site: datadoghq.com, api_key: "\${env:K}", groups: [agents] }\n`, 'k.yaml', { env: { K: API } });
  t.same(refs.warnings, [], 'references and a password-less URL are fine');
});

t.test('config: a missing reference or a malformed key is an error that never shows the value', async (t) => {
  const missing = issuesOf('connections:\n  - { name: p, site: datadoghq.com, api_key: "${env:NOPE}", groups: [a] }\n');
  t.match(missing, [{ path: 'connections[0].api_key', line: 2, message: 'environment variable NOPE is not set' }]);
  const bad = issuesOf('connections:\n  - { name: p, site: datadoghq.com, api_key: "${env:K}", groups: [a] }\n', { K: 'not-a-key-but-a-secret-value' });
  t.match(bad, [{ path: 'connections[0].api_key', message: /32 lower-case hex/ }]);
  t.notOk(JSON.stringify(bad).includes('not-a-key-but-a-secret-value'), 'the value is not echoed');
  const file = issuesOf('connections:\n  - { name: p, site: datadoghq.com, api_key: "${file:/nonexistent/x}", groups: [a] }\n');
  t.match(file, [{ message: /cannot read secret file/ }]);
});

t.test('config: cross-field checks (duplicates, unknown connection in a rule, approval block)', async (t) => {
  const issues = issuesOf(`connections:
  - { name: p, site: datadoghq.com, api_key: ${API}, groups: [a] }
  - { name: p, site: datadoghq.eu, api_key: ${API}, groups: [a] }
policy:
  rules:
    - { match: { connection: q }, action: allow }
`);
  t.match(issues, [{ path: 'connections[1].name', message: /duplicate/ }, { path: 'policy.rules[0].match.connection', message: /unknown connection "q"/ }]);
  t.match(issuesOf('policy:\n  rules:\n    - { action: require_approval }\n'), [{ path: 'policy.rules[0].approval', message: /needs an approval block/ }]);
});

t.test('config: durations accept seconds or units, refuse nonsense', async (t) => {
  const c = parseConfig('identity:\n  issuers:\n    - { issuer: "https://i.example", audiences: [a], clock_skew: 90, max_token_age: 2h }\n');
  t.equal(c.identity.issuers[0]!.clock_skew, 90_000);
  t.equal(c.identity.issuers[0]!.max_token_age, 7_200_000);
  t.match(issuesOf('identity:\n  issuers:\n    - { issuer: "https://i.example", audiences: [a], clock_skew: soon }\n'), [{ message: /invalid duration/ }]);
});

t.test('config: an unreadable file is a ConfigError, not a crash', async (t) => {
  t.throws(() => loadConfigFile('/nonexistent/keyward.yaml'), ConfigError);
});

t.test('config: rule names are unique and "default" is reserved', async (t) => {
  t.match(issuesOf('policy:\n  rules:\n    - { name: a, action: allow }\n    - { name: a, action: deny }\n'), [{ path: 'policy.rules[1].name', message: /duplicate rule name "a"/ }]);
  t.match(issuesOf('policy:\n  rules:\n    - { name: default, action: allow }\n'), [{ path: 'policy.rules[0].name', message: /reserved/ }]);
});

t.test('config: a value outside a closed list names the allowed values', async (t) => {
  const issues = issuesOf(`connections:\n  - { name: prod, site: datadoghq.com, api_key: "${API}", groups: [agents] }\npolicy:\n  rules:\n    - { name: r, match: { class: reads }, action: allow }\n    - { name: s, match: { method: [GET, FETCH] }, action: allow }\n`);
  t.match(issues, [
    { path: 'policy.rules[0].match.class', line: 5, message: /one of telemetry-write, read, config-change/ },
    { path: 'policy.rules[1].match.method', line: 6, message: /one of GET, HEAD, POST/ },
  ]);
});

t.test('config: approvals.slack errors carry their YAML line; the signing secret inline is a warning, by reference it is redacted', async (t) => {
  const base = `identity:\n  issuers:\n    - { issuer: "https://idp.example", audiences: [keyward] }\nconnections:\n  - { name: prod, site: datadoghq.com, api_key: "${API}", groups: [agents] }\n`;
  const shape = issuesOf(`${base}approvals:\n  slack:\n    signing_secret: short\n    users:\n      U0EVE: { issuer: "https://idp.example", subject: eve, groups: [] }\n`);
  const at = (issues: typeof shape, path: string) => issues.find((i) => i.path === path);
  t.match(at(shape, 'approvals.slack.signing_secret'), { line: 8, message: /at least 16 characters/ });
  t.match(at(shape, 'approvals.slack.users.U0EVE.groups'), { line: 10 });
  const refs = issuesOf(`${base}approvals:\n  slack:\n    signing_secret: "${'x'.repeat(20)}"\n    users:\n      bob: { issuer: "https://idp.example", subject: bob, groups: [sre] }\n      U0BOB: { issuer: "https://other.example", subject: bob, groups: [sre] }\n`);
  t.match(at(refs, 'approvals.slack.users.bob'), { line: 10, message: /not a Slack user id/ });
  t.match(at(refs, 'approvals.slack.users.U0BOB.issuer'), { line: 11, message: /not in identity\.issuers/ });
  const good = parseConfig(`${base}approvals:\n  slack:\n    signing_secret: "\${env:SLACK_SECRET}"\n    users:\n      U0BOB: { issuer: "https://idp.example", subject: bob, groups: [sre] }\n`, 'k.yaml', { env: { SLACK_SECRET: 's'.repeat(32) } });
  t.equal(good.approvals.slack?.users.U0BOB?.subject, 'bob');
  t.ok(good.secrets.includes('s'.repeat(32)), 'the resolved secret is among the values logs redact');
  t.equal(good.warnings.length, 1, 'only the inline api key warns');
});
