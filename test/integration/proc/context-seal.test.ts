import t from 'tap';
import { envoyProtos } from '../../../src/envoy/protos.js';
import { EXT_AUTHZ_NAMESPACE } from '../../../src/envoy/contract.js';
import { toStruct } from '../../../src/envoy/struct.js';
import type { ExternalProcessorClient } from '../../../proto/gen/envoy/service/ext_proc/v3/ExternalProcessor.js';
import type { ProcessingResponse__Output } from '../../../proto/gen/envoy/service/ext_proc/v3/ProcessingResponse.js';
import { KEYS, baseConfig } from '../../helpers/gate.js';
import { startStack } from '../../helpers/stack.js';

t.test('proc: a caller that reaches the ext_proc port with a forged context gets no key', async (t) => {
  const s = await startStack((issuer) => baseConfig([{ issuer }]));
  t.teardown(() => s.stop());
  const Ctor = envoyProtos().extProc.envoy.service.ext_proc.v3.ExternalProcessor;
  const client = new Ctor(s.tg.gate.procAddress, s.tg.channel.credentials, s.tg.channel.options) as ExternalProcessorClient;
  t.teardown(() => client.close());
  const forged = { request_id: 'x', connection: 'prod', operation_class: 'read', subject: 'mallory', expires_at: Date.now() + 60_000, seal: 'AAAA' };
  const answers: ProcessingResponse__Output[] = [];
  for (const context of [forged, { ...forged, seal: undefined as unknown as string }]) {
    const call = client.Process();
    const answer = new Promise<ProcessingResponse__Output>((resolve) => call.on('data', resolve));
    call.write({
      request_headers: { headers: { headers: [{ key: ':method', raw_value: Buffer.from('GET') }, { key: ':path', raw_value: Buffer.from('/api/v1/monitor') }] }, end_of_stream: true },
      metadata_context: { filter_metadata: { [EXT_AUTHZ_NAMESPACE]: toStruct({ keyward: JSON.parse(JSON.stringify(context)) }) } },
    });
    answers.push(await answer);
    call.end();
  }
  t.equal(answers[0]!.response, 'immediate_response');
  t.equal(JSON.parse(Buffer.from(answers[0]!.immediate_response!.body).toString()).error.code, 'context_invalid');
  t.equal(JSON.parse(Buffer.from(answers[1]!.immediate_response!.body).toString()).error.code, 'context_missing');
  const everything = JSON.stringify(answers);
  for (const key of Object.values(KEYS)) t.notOk(everything.includes(key) || everything.includes(Buffer.from(key).toString('base64')), 'no key in any answer');
  // The real path still works: Envoy forwards the sealed context ext_authz produced.
  const ok = await fetch(`${s.door.url}/api/v1/monitor`, { headers: { authorization: await s.bearer('agent-1', ['agents']) } });
  t.equal(ok.status, 200);
});
