import t from 'tap';
import { startDevIssuer, type DevIssuer } from '../../../dev/dev-issuer.js';
import { fromStruct } from '../../../src/envoy/struct.js';
import { KEYS, baseConfig, startTestGate, type TestGate } from '../../helpers/gate.js';

let issuer: DevIssuer;
let second: DevIssuer;
let tg: TestGate;

t.before(async () => {
  issuer = await startDevIssuer();
  second = await startDevIssuer('127.0.0.1:0', 'keyward-eu');
  const config = baseConfig([{ issuer: issuer.issuer, name: 'corp' }, { issuer: second.issuer, name: 'eu', audiences: ['keyward-eu'], groups_claim: 'roles', subject_claim: 'agent_name' }], {
    rules: [
      { name: 'dry', match: { subject: 'canary-*' }, action: 'deny', dry_run: true },
      { name: 'telemetry', match: { class: 'telemetry-write' }, action: 'allow' },
      { name: 'reads', match: { class: 'read' }, action: 'allow' },
      { name: 'changes', match: { class: 'config-change' }, action: 'require_approval', approval: { approvers: ['corp#sre'] } },
      { name: 'no-destructive', match: { class: 'destructive' }, action: 'deny' },
    ],
  });
  // Two issuers: every group names the issuer that asserts it.
  (config.connections as { groups: string[] }[])[0]!.groups = ['corp#agents', 'corp#sre'];
  (config.connections as { groups: string[] }[])[1]!.groups = ['eu#eu-agents', 'corp#sre'];
  tg = await startTestGate(config);
});
t.teardown(async () => {
  await tg.stop();
  await issuer.close();
  await second.close();
});

const bearer = async (subject: string, groups: string[], extra = {}) => ({ authorization: `Bearer ${await issuer.mint({ subject, groups, ...extra })}` });
const codeOf = (res: { denied_response?: { body?: string } | null }) => (JSON.parse(res.denied_response?.body ?? '{"error":{}}') as { error: { code?: string } }).error.code;

t.test('check: allow strips agent credentials and key query params, hands context to ext_proc', async (t) => {
  const headers = { ...(await bearer('agent-1', ['agents'])), 'dd-api-key': KEYS.euApi, 'x-keyward-connection': 'prod' };
  const res = await tg.check({ method: 'POST', path: `/api/v2/series?api_key=${KEYS.euApi}`, headers });
  t.equal(res.status?.code, 0);
  const ok = res.ok_response!;
  t.ok(['dd-api-key', 'dd-application-key', 'authorization', 'x-keyward-connection'].every((h) => ok.headers_to_remove.includes(h)));
  t.ok(['x-http-method-override', 'x-http-method', 'x-method-override'].every((h) => ok.headers_to_remove.includes(h)), 'method overrides never reach Datadog: policy judged the real method');
  t.ok(['api_key', 'application_key', 'dd-api-key'].every((q) => ok.query_parameters_to_remove.includes(q)));
  // Without a key in the query Envoy is not asked to touch it (it would rebuild it, sorted).
  for (const path of ['/api/v1/monitor', '/api/v1/query?to=2&from=1&flag']) {
    const plain = await tg.check({ method: 'GET', path, headers });
    t.same(plain.ok_response?.query_parameters_to_remove, [], `${path}: the query is left as sent`);
  }
  const hidden = await tg.check({ method: 'GET', path: '/api/v1/query?q=1;API%5FKEY=x', headers });
  t.ok(hidden.ok_response?.query_parameters_to_remove.includes('api_key'), 'an encoded or ;-separated key still triggers removal');
  const ctx = fromStruct(res.dynamic_metadata).keyward as Record<string, unknown>;
  t.match(ctx, { subject: 'agent-1', issuer: issuer.issuer, connection: 'prod', operation_class: 'telemetry-write', rule: 'telemetry', groups: ['agents'], client_id: 'client-agent-1' });
  t.match(ctx.request_id, /^[0-9a-f-]{36}$/);
  const requestIdHeader = ok.response_headers_to_add.find((h) => h.header?.key === 'x-keyward-request-id');
  t.equal(requestIdHeader?.header?.value, ctx.request_id, 'the agent gets the request id that joins the audit rows');
  const row = tg.audit.events.find((e) => e.request_id === ctx.request_id);
  t.match(row, { kind: 'call', decision: 'allow', subject: 'agent-1', connection: 'prod', path: '/api/v2/series?api_key=[REDACTED]' });
});

t.test('check: several issuers, each with its own claim mapping', async (t) => {
  const token = await second.mint({ subject: 'ignored', audience: 'keyward-eu', extra: { agent_name: 'eu-bot', roles: 'eu-agents other' } });
  const res = await tg.check({ method: 'GET', path: '/api/v1/monitor', headers: { authorization: `Bearer ${token}` } });
  t.equal(res.status?.code, 0);
  t.match(fromStruct(res.dynamic_metadata).keyward, { subject: 'eu-bot', groups: ['eu-agents', 'other'], connection: 'eu' });
});

t.test('check: destructive call denied by policy → 403 policy_denied', async (t) => {
  const res = await tg.check({ method: 'DELETE', path: '/api/v1/monitor/1', headers: await bearer('agent-1', ['agents']) });
  t.equal(res.status?.code, 7);
  t.equal(res.denied_response?.status?.code, 'Forbidden');
  t.equal(codeOf(res), 'policy_denied');
});

t.test('check: unknown operation → 403 operation_unknown (default deny)', async (t) => {
  const res = await tg.check({ method: 'GET', path: '/api/v9/secret-things', headers: await bearer('agent-1', ['agents']) });
  t.equal(codeOf(res), 'operation_unknown');
});

t.test('check: require_approval → 403 approval_required until approvals are wired', async (t) => {
  const res = await tg.check({ method: 'POST', path: '/api/v1/dashboard', headers: await bearer('agent-1', ['agents']), body: Buffer.from('{}') });
  t.equal(codeOf(res), 'approval_required');
});

t.test('check: connection refusals', async (t) => {
  t.equal(codeOf(await tg.check({ method: 'GET', path: '/api/v1/monitor', headers: await bearer('sre-bot', ['sre']) })), 'connection_ambiguous');
  t.equal(codeOf(await tg.check({ method: 'GET', path: '/api/v1/monitor', headers: { ...(await bearer('a', ['agents'])), 'x-keyward-connection': 'eu' } })), 'connection_not_allowed');
  t.equal(codeOf(await tg.check({ method: 'GET', path: '/api/v1/monitor', headers: { ...(await bearer('a', ['agents'])), 'x-keyward-connection': 'zz' } })), 'connection_unknown');
  t.equal(codeOf(await tg.check({ method: 'GET', path: '/api/v1/monitor', headers: await bearer('a', ['nobody']) })), 'connection_none');
  const chosen = await tg.check({ method: 'GET', path: '/api/v1/monitor', headers: { ...(await bearer('sre-bot', ['sre'])), 'x-keyward-connection': 'eu' } });
  t.match(fromStruct(chosen.dynamic_metadata).keyward, { connection: 'eu' });
});

t.test('check: dry-run rules are logged and audited but do not decide', async (t) => {
  const res = await tg.check({ method: 'POST', path: '/api/v1/series', headers: await bearer('canary-1', ['agents']) });
  t.equal(res.status?.code, 0);
  const id = (fromStruct(res.dynamic_metadata).keyward as { request_id: string }).request_id;
  t.match(tg.audit.events.find((e) => e.request_id === id), { dry_run: [{ rule: 'dry', action: 'deny' }] });
  t.ok(tg.logs().some((l) => l.includes(id) && l.includes('"dry_run"')));
});

t.test('check: audit store down → 503 audit_unavailable, never OK', async (t) => {
  tg.audit.failing = true;
  t.teardown(() => void (tg.audit.failing = false));
  const res = await tg.check({ method: 'POST', path: '/api/v2/series', headers: await bearer('agent-1', ['agents']) });
  t.equal(res.status?.code, 14);
  t.equal(res.denied_response?.status?.code, 'ServiceUnavailable');
  t.equal(codeOf(res), 'audit_unavailable');
});

t.test('check: no key and no token in any log line', async (t) => {
  const all = tg.logs().join('\n');
  for (const key of Object.values(KEYS)) t.notOk(all.includes(key), 'no Datadog key logged');
  t.notOk(/eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\./.test(all), 'no JWT logged');
});

t.test('check: secrets in query values are masked in the audit row and the log', async (t) => {
  const res = await tg.check({ method: 'GET', path: '/api/v1/monitor?q=AKIAIOSFODNN7EXAMPLE&name=x', headers: await bearer('agent-1', ['agents']) });
  const id = (fromStruct(res.dynamic_metadata).keyward as { request_id: string }).request_id;
  const row = tg.audit.events.find((e) => e.request_id === id);
  t.match(row, { path: /^\/api\/v1\/monitor\?q=\[REDACTED:aws_access_key_id\]&name=x$/ });
  t.notOk(tg.logs().join('\n').includes('AKIAIOSFODNN7EXAMPLE'));
});
