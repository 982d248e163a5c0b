import t from 'tap';
import { EXT_AUTHZ_NAMESPACE } from '../../../src/envoy/contract.js';
import { envoyProtos } from '../../../src/envoy/protos.js';
import { fromStruct } from '../../../src/envoy/struct.js';
import type { ExternalProcessorClient } from '../../../proto/gen/envoy/service/ext_proc/v3/ExternalProcessor.js';
import type { ProcessingResponse__Output } from '../../../proto/gen/envoy/service/ext_proc/v3/ProcessingResponse.js';
import { baseConfig } from '../../helpers/gate.js';
import { startStack } from '../../helpers/stack.js';

// ext_proc.cc: in BUFFERED mode Envoy sends a body message even when the body it buffered is empty
// (a chunked request that ended without bytes, an empty DATA frame with end_stream). keyward must
// let it through: nothing to mask, no payload row, and no decoding of an empty "zstd" body.
t.test('proc: an empty buffered body (announced, zero bytes) continues without a payload row', async (t) => {
  const s = await startStack((issuer) => baseConfig([{ issuer }]));
  t.teardown(() => s.stop());
  const authorization = await s.bearer('agent-1', ['agents']);
  const allowed = await s.tg.check({ method: 'POST', path: '/api/v2/series', headers: { authorization, 'content-type': 'application/json', 'content-encoding': 'zstd1' } });
  t.equal(allowed.status?.code, 0);
  const Ctor = envoyProtos().extProc.envoy.service.ext_proc.v3.ExternalProcessor;
  const client = new Ctor(s.tg.gate.procAddress, s.tg.channel.credentials, s.tg.channel.options) as ExternalProcessorClient;
  t.teardown(() => client.close());
  const call = client.Process();
  const next = () => new Promise<ProcessingResponse__Output>((resolve) => call.once('data', resolve));
  const headers = [
    [':method', 'POST'],
    [':path', '/api/v2/series'],
    ['content-type', 'application/json'],
    ['content-encoding', 'zstd1'],
    ['transfer-encoding', 'chunked'],
  ].map(([key, v]) => ({ key, raw_value: Buffer.from(v!) }));
  let answer = next();
  call.write({ request_headers: { headers: { headers }, end_of_stream: false }, metadata_context: { filter_metadata: { [EXT_AUTHZ_NAMESPACE]: allowed.dynamic_metadata! } } });
  const first = await answer;
  t.equal(first.mode_override?.request_body_mode, 'BUFFERED');
  answer = next();
  call.write({ request_body: { body: Buffer.alloc(0), end_of_stream: true } });
  const second = await answer;
  call.end();
  t.equal(second.response, 'request_body', 'continues: no refusal');
  t.equal(second.request_body?.response?.body_mutation ?? null, null, 'the body is left as it is');
  const requestId = (fromStruct(allowed.dynamic_metadata).keyward as { request_id: string }).request_id;
  t.ok(requestId);
  t.same(s.tg.audit.events.filter((e) => e.kind === 'payload' && e.request_id === requestId), [], 'no payload row for no payload');
});
