import t from 'tap';
import { envoyProtos } from '../../../src/envoy/protos.js';
import { EXT_AUTHZ_NAMESPACE } from '../../../src/envoy/contract.js';
import { fromStruct, toStruct, type Plain } from '../../../src/envoy/struct.js';
import type { ExternalProcessorClient } from '../../../proto/gen/envoy/service/ext_proc/v3/ExternalProcessor.js';
import type { ProcessingResponse__Output } from '../../../proto/gen/envoy/service/ext_proc/v3/ProcessingResponse.js';
import type { CallEvent } from '../../../src/audit/events.js';
import { KEYS, baseConfig } from '../../helpers/gate.js';
import { startStack } from '../../helpers/stack.js';

// The attack of issue 13: an agent with a valid token reaches the gRPC ports itself (here with a
// client certificate, as if it had stolen Envoy's), gets a sealed context for a GET it may do, and
// presents it on ext_proc for other calls.
const s = await startStack((issuer) => baseConfig([{ issuer }]));
t.teardown(() => s.stop());
const auth = await s.bearer('mallory', ['agents']);
const Ctor = envoyProtos().extProc.envoy.service.ext_proc.v3.ExternalProcessor;
const client = new Ctor(s.tg.gate.procAddress, s.tg.channel.credentials, s.tg.channel.options) as ExternalProcessorClient;
t.teardown(() => client.close());

async function sealedContextFor(method: string, path: string): Promise<{ [key: string]: Plain }> {
  const res = await s.tg.check({ method, path, headers: { authorization: auth } });
  if (res.status?.code !== 0 || !res.dynamic_metadata) throw new Error('the Check was not allowed');
  return fromStruct(res.dynamic_metadata);
}

function process(metadata: { [key: string]: Plain }, method: string, path: string): Promise<ProcessingResponse__Output> {
  const call = client.Process();
  const answer = new Promise<ProcessingResponse__Output>((resolve, reject) => {
    call.on('data', resolve);
    call.on('error', reject);
  });
  call.write({
    request_headers: { headers: { headers: [{ key: ':method', raw_value: Buffer.from(method) }, { key: ':path', raw_value: Buffer.from(path) }] }, end_of_stream: true },
    metadata_context: { filter_metadata: { [EXT_AUTHZ_NAMESPACE]: toStruct(metadata) } },
  });
  call.end();
  return answer;
}

const codeOf = (a: ProcessingResponse__Output) => (a.immediate_response ? JSON.parse(Buffer.from(a.immediate_response.body).toString()).error.code : null);
/** Every byte of an answer as text (header values travel as raw_value bytes). */
const textOf = (a: unknown) => JSON.stringify(a, (_k, v: unknown) => (v && typeof v === 'object' && (v as { type?: string }).type === 'Buffer' ? Buffer.from((v as { data: number[] }).data).toString('utf8') : v));
const leaks = (a: unknown) => Object.values(KEYS).some((k) => textOf(a).includes(k));

t.test('context: a context checked for GET opens that GET (with its keys)', async (t) => {
  const ctx = await sealedContextFor('GET', '/api/v1/monitor/42');
  const a = await process(ctx, 'GET', '/api/v1/monitor/42');
  t.equal(a.response, 'request_headers');
  t.ok(leaks(a), 'the keys are injected for the call that was checked');
});

t.test('context: Check a GET, then Process claiming DELETE /api/v1/monitor/42 → context_invalid, audited, no key', async (t) => {
  const ctx = await sealedContextFor('GET', '/api/v1/monitor/42');
  const before = s.tg.audit.events.length;
  const a = await process(ctx, 'DELETE', '/api/v1/monitor/42');
  t.equal(codeOf(a), 'context_invalid');
  t.notOk(leaks(a), 'no DD-API-KEY / DD-APPLICATION-KEY in the answer');
  const row = s.tg.audit.events.slice(before).find((e): e is CallEvent => e.kind === 'call' && e.reason_code === 'context_invalid');
  t.ok(row, 'the refusal is audited');
  t.match(row, { method: 'DELETE', path: '/api/v1/monitor/42', subject: 'mallory', decision: 'deny', connection: 'prod' });
});

t.test('context: a context used for another path (same method) → context_invalid, no key', async (t) => {
  const ctx = await sealedContextFor('GET', '/api/v1/monitor/42');
  for (const path of ['/api/v2/api_keys', '/api/v1/monitor/42/../../v2/api_keys', '/api/v1/monitor/42?extra=1']) {
    const fresh = await sealedContextFor('GET', '/api/v1/monitor/42');
    const a = await process(fresh, 'GET', path);
    t.equal(codeOf(a), 'context_invalid', path);
    t.notOk(leaks(a), `${path}: no key`);
  }
  t.ok(ctx);
});

t.test('context: a replayed context (a second stream with it) → context_invalid, no key', async (t) => {
  const ctx = await sealedContextFor('GET', '/api/v1/monitor');
  const first = await process(ctx, 'GET', '/api/v1/monitor');
  t.equal(first.response, 'request_headers');
  for (let i = 0; i < 5; i++) {
    const again = await process(ctx, 'GET', '/api/v1/monitor');
    t.equal(codeOf(again), 'context_invalid', `replay ${i + 1}`);
    t.notOk(leaks(again), `replay ${i + 1}: no key`);
  }
});

t.test('context: a context is used up by a stream that claimed another call; the right call cannot use it after', async (t) => {
  const ctx = await sealedContextFor('GET', '/api/v1/monitor');
  t.equal(codeOf(await process(ctx, 'DELETE', '/api/v1/monitor/1')), 'context_invalid');
  t.equal(codeOf(await process(ctx, 'GET', '/api/v1/monitor')), 'context_invalid');
});

t.test('context: key query parameters Envoy removed, and its sorted query, still match the checked call', async (t) => {
  const ctx = await sealedContextFor('GET', '/api/v1/monitor?name=b&api_key=00000000000000000000000000000000&flag');
  const a = await process(ctx, 'GET', '/api/v1/monitor?flag=&name=b');
  t.equal(a.response, 'request_headers');
});

t.test('context: a query checked with ";" inside a value does not open the same query split by "&" (red team)', async (t) => {
  // Envoy and Datadog split a query on "&" only: "?name=a;tags=b" is one parameter, "?name=a&tags=b" two.
  const a = await process(await sealedContextFor('GET', '/api/v1/monitor?name=a;tags=b'), 'GET', '/api/v1/monitor?name=a&tags=b');
  t.equal(codeOf(a), 'context_invalid');
  t.notOk(leaks(a), 'no key');
});

t.test('context: paths that differ only in case or encoding do not open the checked call (red team)', async (t) => {
  for (const path of ['/api/v1/Monitor', '/api/v1%2Fmonitor', '/api//v1/monitor', '/api/./v1/monitor', '/api/v1/monitor/']) {
    const a = await process(await sealedContextFor('GET', '/api/v1/monitor'), 'GET', path);
    t.equal(codeOf(a), 'context_invalid', path);
    t.notOk(leaks(a), `${path}: no key`);
  }
});

t.test('context: the seal lives seconds, not minutes', async (t) => {
  const ctx = await sealedContextFor('GET', '/api/v1/monitor');
  const inner = ctx.keyward as { expires_at: number };
  t.ok(inner.expires_at - Date.now() <= 10_000, `expires in ${inner.expires_at - Date.now()} ms`);
});

t.test('context: end to end through the front door, calls keep working (each its own context)', async (t) => {
  for (let i = 0; i < 3; i++) {
    const res = await fetch(`${s.door.url}/api/v1/monitor?page=${i}`, { headers: { authorization: auth } });
    t.equal(res.status, 200);
  }
});
