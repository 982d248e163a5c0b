import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import t from 'tap';
import { envoyProtos } from '../../../src/envoy/protos.js';
import type { AuthorizationClient } from '../../../proto/gen/envoy/service/auth/v3/Authorization.js';
import type { ExternalProcessorClient } from '../../../proto/gen/envoy/service/ext_proc/v3/ExternalProcessor.js';
import { grpcChannel } from '../../../dev/upstream-tls.js';
import { KEYS, TLS_FIXTURES, baseConfig, envoyClientTls } from '../../helpers/gate.js';
import { startStack } from '../../helpers/stack.js';

const s = await startStack((issuer) => baseConfig([{ issuer }]));
t.teardown(() => s.stop());
const auth = await s.bearer('agent-1', ['agents']);
const Authz = envoyProtos().auth.envoy.service.auth.v3.Authorization;
const Proc = envoyProtos().extProc.envoy.service.ext_proc.v3.ExternalProcessor;

function check(channel: { credentials: grpc.ChannelCredentials; options: grpc.ChannelOptions }): Promise<{ err: grpc.ServiceError | null; body: string }> {
  const client = new Authz(s.tg.gate.authzAddress, channel.credentials, channel.options) as AuthorizationClient;
  return new Promise((resolve) =>
    client.Check({ attributes: { request: { http: { method: 'GET', path: '/api/v1/monitor', headers: { authorization: auth } } } } }, { deadline: Date.now() + 10_000 }, (err, res) => {
      client.close();
      resolve({ err, body: JSON.stringify(res ?? null) + JSON.stringify(err?.details ?? '') });
    }),
  );
}

/** Opens a Process stream and sends headers: a refused handshake ends it with an error, never an answer. */
function process(channel: { credentials: grpc.ChannelCredentials; options: grpc.ChannelOptions }): Promise<{ err: grpc.ServiceError | null; answers: unknown[] }> {
  const client = new Proc(s.tg.gate.procAddress, channel.credentials, channel.options) as ExternalProcessorClient;
  const call = client.Process({ deadline: Date.now() + 10_000 });
  const answers: unknown[] = [];
  return new Promise((resolve) => {
    call.on('data', (d) => answers.push(d));
    call.on('error', (err: grpc.ServiceError) => {
      client.close();
      resolve({ err, answers });
    });
    call.on('end', () => {
      client.close();
      resolve({ err: null, answers });
    });
    call.write({ request_headers: { headers: { headers: [{ key: ':method', raw_value: Buffer.from('GET') }, { key: ':path', raw_value: Buffer.from('/api/v1/monitor') }] }, end_of_stream: true } });
    call.end();
  });
}

const leaks = (text: string) => Object.values(KEYS).some((key) => text.includes(key));

const fixtures = envoyClientTls();
const attacks: [string, { credentials: grpc.ChannelCredentials; options: grpc.ChannelOptions }][] = [
  // Trusts keyward's server certificate but presents none of its own.
  ['no client certificate', { credentials: grpc.credentials.createSsl(fixtures.ca), options: { 'grpc.ssl_target_name_override': 'keyward' } }],
  // A certificate that looks like Envoy's, signed by a CA keyward does not trust.
  ['a client certificate from another CA', grpcChannel({ ...fixtures, cert: readFileSync(join(TLS_FIXTURES, 'other-ca', 'envoy.crt')), key: readFileSync(join(TLS_FIXTURES, 'other-ca', 'envoy.key')) })],
  ['a plaintext caller on the TLS port', { credentials: grpc.credentials.createInsecure(), options: {} }],
];

for (const [name, channel] of attacks) {
  t.test(`transport: ${name} → the Check is refused before any gRPC frame, no key`, async (t) => {
    const before = s.tg.audit.events.length;
    const r = await check(channel);
    t.equal(r.err?.code, grpc.status.UNAVAILABLE, 'the connection is refused');
    t.notOk(leaks(r.body), 'no key in what came back');
    t.equal(s.tg.audit.events.length, before, 'keyward never saw the call');
  });
  t.test(`transport: ${name} → an ext_proc stream is refused, no key`, async (t) => {
    const r = await process(channel);
    t.equal(r.err?.code, grpc.status.UNAVAILABLE);
    t.same(r.answers, [], 'no answer at all');
    t.notOk(leaks(JSON.stringify(r.answers)), 'no key in what came back');
  });
}

t.test('transport: Envoy with its client certificate gets through, end to end', async (t) => {
  const direct = await check(s.tg.channel);
  t.equal(direct.err, null);
  const res = await fetch(`${s.door.url}/api/v1/monitor`, { headers: { authorization: auth } });
  t.equal(res.status, 200);
  t.equal(s.datadog.received.at(-1)?.headers['dd-api-key'], KEYS.prodApi, 'the key went upstream, to Datadog only');
});

t.test('transport: a client certificate keyward trusts but a server name it does not hold is refused by the client (SAN check)', async (t) => {
  const r = await check(grpcChannel({ ...fixtures, serverName: 'not-keyward' }));
  t.equal(r.err?.code, grpc.status.UNAVAILABLE);
});
