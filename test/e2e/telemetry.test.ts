import t from 'tap';
import type { CallEvent, PayloadEvent } from '../../src/audit/events.js';
import { KEYS, baseConfig } from '../helpers/gate.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { datadogAgent, refusal, seriesPayload } from './agent.js';

// The official Datadog client as the agent, pointed at the front door, with a token from the dev
// issuer; keyward over real gRPC; fake Datadog behind. Each scenario checks what Datadog received,
// what the agent got and the audit rows.

let s: Stack;
t.before(async () => {
  s = await startStack((issuer) => baseConfig([{ issuer }]));
});
t.teardown(() => s.stop());

const agent = (options: Parameters<typeof datadogAgent>[2] = {}) => datadogAgent(s.door.url, () => s.bearer('agent-1', ['agents']), options);
const calls = (path: string) => s.tg.audit.events.filter((e): e is CallEvent => e.kind === 'call' && e.path === path);
const payloadsOf = (requestId: string) => s.tg.audit.events.filter((e): e is PayloadEvent => e.kind === 'payload' && e.request_id === requestId);

t.test('e2e: v2 series from the Datadog client reaches Datadog with the connection key, audited', async (t) => {
  const before = s.datadog.received.length;
  const res = await agent().metrics.submitMetrics({ body: seriesPayload('e2e.plain', 42) });
  t.same(res.errors, []);
  const got = s.datadog.received.slice(before);
  t.equal(got.length, 1);
  t.equal(got[0]!.path, '/api/v2/series');
  t.equal(got[0]!.host, 'api.datadoghq.com');
  t.equal(got[0]!.headers['dd-api-key'], KEYS.prodApi);
  t.equal(got[0]!.headers.authorization, undefined, 'the agent token stays at the gate');
  t.equal((JSON.parse(got[0]!.text) as { series: { metric: string }[] }).series[0]!.metric, 'e2e.plain');
  const call = calls('/api/v2/series').at(-1)!;
  t.match(call, { decision: 'allow', subject: 'agent-1', connection: 'prod', operation_class: 'telemetry-write', method: 'POST' });
});

for (const encoding of ['gzip', 'deflate'] as const) {
  t.test(`e2e: v2 series compressed by the client (${encoding}) arrive compressed and intact`, async (t) => {
    const before = s.datadog.received.length;
    const res = await agent().metrics.submitMetrics({ body: seriesPayload(`e2e.${encoding}`, 7), contentEncoding: encoding });
    t.same(res.errors, []);
    const got = s.datadog.received[before]!;
    t.equal(got.headers['content-encoding'], encoding);
    t.equal(got.status, 202);
    t.match(got.text, `"metric":"e2e.${encoding}"`, 'Datadog decodes the same series');
    t.equal(Number(got.headers['content-length']), got.raw.length);
    t.match(calls('/api/v2/series').at(-1), { decision: 'allow', subject: 'agent-1' });
  });
}

t.test('e2e: v2 series compressed with zstd (the client sends `Content-Encoding: zstd1`) arrive compressed and intact', async (t) => {
  const { Zstd } = await import('@hpcc-js/wasm-zstd');
  const zstd = await Zstd.load();
  const before = s.datadog.received.length;
  const res = await agent({ zstd: (body) => zstd.compress(new TextEncoder().encode(body), 3) }).metrics.submitMetrics({ body: seriesPayload('e2e.zstd', 9), contentEncoding: 'zstd1' });
  t.same(res.errors, []);
  const got = s.datadog.received[before]!;
  t.equal(got.headers['content-encoding'], 'zstd1', 'forwarded under the name the client used');
  t.equal(got.raw.readUInt32LE(0), 0xfd2fb528, 'still a zstd frame');
  t.match(got.text, '"metric":"e2e.zstd"', 'Datadog decodes the same series');
  t.equal(Number(got.headers['content-length']), got.raw.length);
});

const AWS = 'AKIAIOSFODNN7EXAMPLE';
const GITHUB = 'ghp_' + 'A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8';

t.test('e2e: logs with planted secrets reach Datadog masked; the audit holds them masked', async (t) => {
  const before = s.datadog.received.length;
  const auditBefore = s.tg.audit.events.length;
  await agent().logs.submitLog({
    body: [
      { message: `deploy used ${AWS} and token ${GITHUB}`, ddsource: 'agent', service: 'web', hostname: 'web-1' },
      { message: 'all good', service: 'web', ddtags: 'trace_id:4bf92f3577b34da6a3ce929d0e0e4736' },
    ],
    contentEncoding: 'gzip',
  });
  const got = s.datadog.received[before]!;
  t.equal(got.path.split('?')[0], '/api/v2/logs');
  t.equal(got.host, 'http-intake.logs.datadoghq.com');
  t.equal(got.headers['content-encoding'], 'gzip', 're-encoded as sent');
  t.notOk(got.text.includes(AWS) || got.text.includes(GITHUB), 'no secret reached Datadog');
  t.match(got.text, /\[REDACTED:[a-z_]+\]/);
  t.ok(got.text.includes('4bf92f3577b34da6a3ce929d0e0e4736') && got.text.includes('web-1'), 'hard negatives untouched');
  const rows = s.tg.audit.events.slice(auditBefore);
  const call = rows.find((e): e is CallEvent => e.kind === 'call' && e.path.startsWith('/api/v2/logs'))!;
  t.match(call, { decision: 'allow', operation_class: 'telemetry-write' });
  const payload = payloadsOf(call.request_id).find((p) => p.direction === 'request')!;
  t.equal(payload.masked_body, got.text, 'the audit holds exactly the masked body Datadog got');
  t.ok(payload.findings.length >= 2);
  t.notOk(JSON.stringify(rows).includes(AWS) || JSON.stringify(rows).includes(GITHUB), 'no audit row holds a secret');
});

t.test('e2e: deleting a monitor is denied by policy: 403 with keyward JSON, nothing reaches Datadog', async (t) => {
  const before = s.datadog.received.length;
  const { code, body } = await refusal(agent().monitors.deleteMonitor({ monitorId: 1234 }));
  t.equal(code, 403);
  t.match(body, { error: { code: 'policy_denied', message: String } });
  t.equal(s.datadog.received.length, before);
  t.match(calls('/api/v1/monitor/1234').at(-1), { decision: 'deny', rule: 'no-destructive', operation_class: 'destructive', subject: 'agent-1' });
});

t.test('e2e: a key the agent still sends (client auth, header or query) is stripped and never reaches Datadog', async (t) => {
  const before = s.datadog.received.length;
  const keyed = agent({ authMethods: { apiKeyAuth: KEYS.euApi, appKeyAuth: KEYS.euApp }, query: { api_key: KEYS.euApi, application_key: KEYS.euApp } });
  await keyed.metrics.submitMetrics({ body: seriesPayload('e2e.keyed') });
  const monitors = await keyed.monitors.listMonitors({});
  t.same(monitors, []);
  const got = s.datadog.received.slice(before);
  t.equal(got.length, 2);
  for (const r of got) {
    t.notOk(JSON.stringify(r.headers).includes(KEYS.euApi) || JSON.stringify(r.headers).includes(KEYS.euApp), `${r.path}: no agent key in headers`);
    t.notOk(r.path.includes('api_key') || r.path.includes(KEYS.euApi), `${r.path}: no key in the query`);
    t.equal(r.headers['dd-api-key'], KEYS.prodApi);
  }
  t.equal(got[1]!.headers['dd-application-key'], KEYS.prodApp);
  const rows = JSON.stringify(s.tg.audit.events);
  t.notOk(rows.includes(KEYS.euApi) || rows.includes(KEYS.euApp), 'the audit holds no agent key either');
});
