import t from 'tap';
import { createPolicy, type PolicyInput } from '../../../src/policy/rules.js';
import { selectConnection } from '../../../src/policy/connection.js';
import { compilePathGlob } from '../../../src/policy/path-glob.js';
import { redactedPath } from '../../../src/policy/request-path.js';
import { KeywardError } from '../../../src/errors.js';
import { parseConfig } from '../../../src/config/load.js';

const input = (over: Partial<PolicyInput> = {}): PolicyInput => ({
  subject: 'agent-1', groups: ['agents'], connection: 'prod', method: 'POST', path: '/api/v2/series', operationClass: 'telemetry-write', ...over,
});

const policyOf = (yaml: string) => parseConfig(yaml).policy;

t.test('policy: first matching rule wins; no match → default', async (t) => {
  const p = createPolicy(policyOf(`
policy:
  default: deny
  rules:
    - { name: block-bot, match: { subject: "bot-*" }, action: deny }
    - { name: writes, match: { class: telemetry-write, groups: [agents] }, action: allow }
    - { name: all-writes, match: { class: telemetry-write }, action: deny }
`));
  t.match(p(input()), { action: 'allow', rule: 'writes' });
  t.match(p(input({ subject: 'bot-7' })), { action: 'deny', rule: 'block-bot' });
  t.match(p(input({ groups: ['others'] })), { action: 'deny', rule: 'all-writes' });
  t.match(p(input({ operationClass: 'read', method: 'GET' })), { action: 'deny', rule: 'default' });
});

t.test('policy: every match field narrows the rule', async (t) => {
  const p = createPolicy(policyOf(`
connections:
  - { name: prod, site: datadoghq.com, api_key: 0123456789abcdef0123456789abcdef, groups: [agents] }
policy:
  default: deny
  rules:
    - match: { connection: prod, method: [GET, HEAD], path: /api/v1/monitor/**, class: read }
      action: allow
`));
  t.match(p(input({ method: 'GET', path: '/api/v1/monitor/5?x=1', operationClass: 'read' })), { action: 'allow', rule: 'rule-0' });
  t.match(p(input({ method: 'GET', path: '/api/v1/dashboard', operationClass: 'read' })), { action: 'deny' });
  t.match(p(input({ method: 'GET', path: '/api/v1/monitor/5', operationClass: 'read', connection: 'eu' })), { action: 'deny' });
  t.match(p(input({ method: 'POST', path: '/api/v1/monitor/5', operationClass: 'read' })), { action: 'deny' });
});

t.test('policy: dry_run rules are reported and let the next rule decide', async (t) => {
  const p = createPolicy(policyOf(`
policy:
  rules:
    - { name: would-deny, match: { class: telemetry-write }, action: deny, dry_run: true }
    - { name: writes, match: { class: telemetry-write }, action: allow }
`));
  const d = p(input());
  t.equal(d.action, 'allow');
  t.same(d.dryRun, [{ rule: 'would-deny', action: 'deny' }]);
});

t.test('policy: default allow never covers unknown operations', async (t) => {
  const p = createPolicy(policyOf('policy: { default: allow }'));
  t.equal(p(input({ operationClass: 'read' })).action, 'allow');
  t.equal(p(input({ operationClass: 'unknown' })).action, 'deny');
});

t.test('policy: require_approval carries the approval settings', async (t) => {
  const p = createPolicy(policyOf(`
policy:
  rules:
    - match: { class: config-change }
      action: require_approval
      approval: { approvers: [sre], min_approvals: 2, hold: 5s }
`));
  const d = p(input({ operationClass: 'config-change' }));
  t.equal(d.action, 'require_approval');
  t.match(d.approval, { approvers: ['sre'], min_approvals: 2, hold: 5000, ttl: 1_800_000 });
});

const conns = parseConfig(`
connections:
  - { name: prod, site: datadoghq.com, api_key: 0123456789abcdef0123456789abcdef, groups: [agents, sre] }
  - { name: eu, site: datadoghq.eu, api_key: 1123456789abcdef0123456789abcdef, groups: [eu-agents, sre] }
`).connections;

const codeOf = (f: () => unknown) => {
  try {
    f();
    return 'none';
  } catch (e) {
    return e instanceof KeywardError ? e.code : 'other';
  }
};

t.test('connection: header picks; else the only allowed one; refusals have codes', async (t) => {
  t.equal(selectConnection(conns, ['agents'], undefined).name, 'prod');
  t.equal(selectConnection(conns, ['eu-agents'], undefined).name, 'eu');
  t.equal(selectConnection(conns, ['sre'], 'eu').name, 'eu');
  t.equal(codeOf(() => selectConnection(conns, ['sre'], undefined)), 'connection_ambiguous');
  t.equal(codeOf(() => selectConnection(conns, ['agents'], 'eu')), 'connection_not_allowed');
  t.equal(codeOf(() => selectConnection(conns, ['agents'], 'nope')), 'connection_unknown');
  t.equal(codeOf(() => selectConnection(conns, ['nobody'], undefined)), 'connection_none');
});

t.test('path globs: * is one segment, ** any number', async (t) => {
  const g = compilePathGlob('/api/*/monitor/**');
  t.ok(g.test('/api/v1/monitor'));
  t.ok(g.test('/api/v1/monitor/1/downtimes'));
  t.notOk(g.test('/api/v1/x/monitor'));
  t.notOk(g.test('/api/v1/monitors'));
  t.ok(compilePathGlob('/api/v1/dash*').test('/api/v1/dashboard'));
  t.ok(compilePathGlob('/a.b').test('/a.b'));
  t.notOk(compilePathGlob('/a.b').test('/aXb'), 'dots are literal');
  // A long path of many segments against a ** glob completes (no catastrophic backtracking).
  t.notOk(compilePathGlob('/a/**/z').test('/a' + '/b'.repeat(50_000) + '/y'));
});

t.test('redactedPath: keys in query and legacy /v1/input paths never reach audit or logs', async (t) => {
  const key = '0123456789abcdef0123456789abcdef';
  t.equal(redactedPath(`/v1/input/${key}?ddsource=x`), '/v1/input/[REDACTED]?ddsource=x');
  t.equal(redactedPath(`/V1/INPUT/${key}`), '/v1/input/[REDACTED]', 'in any case');
  t.equal(redactedPath(`/api/v1/series?api_key=${key}&x=1`), '/api/v1/series?api_key=[REDACTED]&x=1');
  t.equal(redactedPath(`/api/v1/validate?Application_Key=${key}`), '/api/v1/validate?Application_Key=[REDACTED]');
  t.equal(redactedPath(`/api/v2/logs?dd-api-key=${key}`), '/api/v2/logs?dd-api-key=[REDACTED]');
  t.equal(redactedPath('/api/v1/query?q=%E0%A4%A'), '/api/v1/query?q=%E0%A4%A', 'bad escapes are kept as they are');
  t.equal(redactedPath('/api/v1/series?a=1;api_key=k'), '/api/v1/series?a=1;api_key=[REDACTED]', 'separators kept as sent');
});

t.test('policy: path rules match whatever the case of the request path', async (t) => {
  const p = createPolicy(policyOf('policy:\n  default: allow\n  rules:\n    - { match: { path: /api/v1/monitor/** }, action: deny }\n'));
  t.equal(p(input({ method: 'GET', path: '/API/v1/Monitor/1', operationClass: 'read' })).action, 'deny');
});
