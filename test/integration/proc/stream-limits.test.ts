import * as grpc from '@grpc/grpc-js';
import t from 'tap';
import { envoyProtos } from '../../../src/envoy/protos.js';
import type { ExternalProcessorClient } from '../../../proto/gen/envoy/service/ext_proc/v3/ExternalProcessor.js';
import type { ProcessingResponse__Output } from '../../../proto/gen/envoy/service/ext_proc/v3/ProcessingResponse.js';
import { baseConfig, startTestGate } from '../../helpers/gate.js';
import { until } from '../../helpers/wait.js';

const tg = await startTestGate({ ...baseConfig([{ issuer: 'https://issuer.example' }]), listen: { streams: { max_per_connection: 2, max_total: 3, idle_timeout: '15s' } } });
t.teardown(() => tg.stop());
const Ctor = envoyProtos().extProc.envoy.service.ext_proc.v3.ExternalProcessor;
/** Each client its own HTTP/2 connection (grpc-js otherwise shares one per target). */
const connect = () => new Ctor(tg.gate.procAddress, tg.channel.credentials, { ...tg.channel.options, 'grpc.use_local_subchannel_pool': 1 }) as ExternalProcessorClient;

interface Watched {
  call: ReturnType<ExternalProcessorClient['Process']>;
  answers: ProcessingResponse__Output[];
  closed: { code: number; details: string } | null;
}

function open(client: ExternalProcessorClient): Watched {
  const w: Watched = { call: client.Process(), answers: [], closed: null };
  w.call.on('data', (d: ProcessingResponse__Output) => w.answers.push(d));
  w.call.on('error', (e: grpc.ServiceError) => (w.closed = { code: e.code, details: e.details }));
  w.call.on('status', (st: grpc.StatusObject) => (w.closed ??= { code: st.code, details: st.details }));
  // A phase that needs no context: the stream is open and answered, as one waiting on Datadog is.
  w.call.write({ response_headers: { headers: { headers: [{ key: ':status', raw_value: Buffer.from('200') }] } } });
  return w;
}

t.test('streams: a stream without a valid context is refused and closed at once, though the caller keeps it open', async (t) => {
  const client = connect();
  t.teardown(() => client.close());
  const w: Watched = { call: client.Process(), answers: [], closed: null };
  w.call.on('data', (d: ProcessingResponse__Output) => w.answers.push(d));
  w.call.on('status', (st: grpc.StatusObject) => (w.closed = { code: st.code, details: st.details }));
  w.call.on('error', () => undefined);
  w.call.write({ request_headers: { headers: { headers: [{ key: ':method', raw_value: Buffer.from('GET') }, { key: ':path', raw_value: Buffer.from('/api/v1/monitor') }] }, end_of_stream: true } });
  await until(() => w.closed !== null);
  t.equal(w.answers.length, 1);
  t.equal(w.answers[0]!.response, 'immediate_response');
  t.equal(JSON.parse(Buffer.from(w.answers[0]!.immediate_response!.body).toString()).error.code, 'context_missing');
});

t.test('streams: concurrent streams are capped per connection and in total (RESOURCE_EXHAUSTED); a freed slot is reusable', async (t) => {
  const a = connect();
  const b = connect();
  t.teardown(() => (a.close(), b.close()));
  const a1 = open(a);
  const a2 = open(a);
  await until(() => a1.answers.length === 1 && a2.answers.length === 1);
  const a3 = open(a);
  await until(() => a3.closed !== null);
  t.same(a3.closed, { code: grpc.status.RESOURCE_EXHAUSTED, details: 'stream_limit_connection' });
  const b1 = open(b);
  await until(() => b1.answers.length === 1);
  const b2 = open(b);
  await until(() => b2.closed !== null);
  t.same(b2.closed, { code: grpc.status.RESOURCE_EXHAUSTED, details: 'stream_limit_total' });
  a1.call.end();
  await until(() => a1.closed !== null);
  const b3 = open(b);
  await until(() => b3.answers.length === 1);
  t.equal(b3.closed, null, 'the slot freed by a finished stream serves another');
  for (const w of [a2, b1, b3]) w.call.end();
  await until(() => [a2, b1, b3].every((w) => w.closed !== null));
});

t.test('streams: an idle stream is closed after listen.streams.idle_timeout', async (t) => {
  const client = connect();
  t.teardown(() => client.close());
  const w = open(client);
  await until(() => w.answers.length === 1);
  await until(() => w.closed !== null, 60_000);
  t.same(w.closed, { code: grpc.status.DEADLINE_EXCEEDED, details: 'stream_idle' });
});

t.test('streams: an idle_timeout at or below Envoy’s max_message_timeout is a config error', async (t) => {
  await t.rejects(startTestGate({ ...baseConfig([{ issuer: 'https://issuer.example' }]), listen: { streams: { idle_timeout: '10s' } } }), { message: /idle_timeout.*at least 15s/s });
});
