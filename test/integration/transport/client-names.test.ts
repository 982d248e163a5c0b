import * as grpc from '@grpc/grpc-js';
import t from 'tap';
import { startDevIssuer } from '../../../dev/dev-issuer.js';
import { grpcChannel } from '../../../dev/upstream-tls.js';
import { envoyProtos } from '../../../src/envoy/protos.js';
import { certificateNames } from '../../../src/transport/client-names.js';
import type { ExternalProcessorClient } from '../../../proto/gen/envoy/service/ext_proc/v3/ExternalProcessor.js';
import { KEYS, baseConfig, envoyClientTls, startTestGate, tlsListenConfig } from '../../helpers/gate.js';
import { until } from '../../helpers/wait.js';

// The fixtures' Envoy certificate carries DNS:envoy and comes from the CA keyward trusts: the caller
// below is a workload that CA also signed for, which must not be taken for Envoy.
const issuer = await startDevIssuer();
const configWith = (names: string[]) => ({ ...baseConfig([{ issuer: issuer.issuer }]), listen: { tls: { ...tlsListenConfig(), client_names: names } } });
const tg = await startTestGate(configWith(['envoy']));
t.teardown(async () => {
  await tg.stop();
  await issuer.close();
});
const channel = grpcChannel(envoyClientTls());
const auth = `Bearer ${await issuer.mint({ subject: 'agent-1', groups: ['agents'] })}`;
const Authz = envoyProtos().auth.envoy.service.auth.v3.Authorization;
const Proc = envoyProtos().extProc.envoy.service.ext_proc.v3.ExternalProcessor;
const leaks = (text: string) => Object.values(KEYS).some((key) => text.includes(key));

function check(): Promise<{ err: grpc.ServiceError | null; text: string }> {
  const client = new Authz(tg.gate.authzAddress, channel.credentials, channel.options) as unknown as grpc.Client & { Check: Function };
  return new Promise((resolve) =>
    client.Check({ attributes: { request: { http: { method: 'GET', path: '/api/v1/monitor', headers: { authorization: auth } } } } }, { deadline: Date.now() + 10_000 }, (err: grpc.ServiceError | null, res: unknown) => {
      client.close();
      resolve({ err, text: JSON.stringify(res ?? null) + String(err?.details ?? '') });
    }),
  );
}

function processStream(): Promise<{ err: grpc.ServiceError | null; answers: unknown[] }> {
  const client = new Proc(tg.gate.procAddress, channel.credentials, channel.options) as ExternalProcessorClient;
  const call = client.Process({ deadline: Date.now() + 10_000 });
  const answers: unknown[] = [];
  return new Promise((resolve) => {
    call.on('data', (d) => answers.push(d));
    call.on('error', (err: grpc.ServiceError) => (client.close(), resolve({ err, answers })));
    call.on('end', () => (client.close(), resolve({ err: null, answers })));
    call.write({ request_headers: { headers: { headers: [{ key: ':method', raw_value: Buffer.from('GET') }, { key: ':path', raw_value: Buffer.from('/api/v1/monitor') }] }, end_of_stream: true } });
    call.end();
  });
}

async function reloadTo(names: string[]) {
  const before = tg.logs().filter((l) => l.includes('configuration reloaded')).length;
  tg.writeConfig(configWith(names));
  await until(() => tg.logs().filter((l) => l.includes('configuration reloaded')).length > before);
}

t.test('client names: a subjectAltName list reads DNS and URI names only', async (t) => {
  t.same(certificateNames({ subjectaltname: 'DNS:envoy, URI:spiffe://cluster.local/ns/mesh/sa/envoy, IP Address:10.0.0.1' } as never), ['envoy', 'spiffe://cluster.local/ns/mesh/sa/envoy']);
  t.same(certificateNames(undefined), []);
});

t.test('client names: the certificate named in listen.tls.client_names is Envoy, and is let through', async (t) => {
  const r = await check();
  t.equal(r.err, null);
  t.match(r.text, /"code":0/, 'decided: allowed');
});

t.test('client names: a certificate from the trusted CA without an allowed name gets nothing, not even a decision', async (t) => {
  await reloadTo(['spiffe://cluster.local/ns/mesh/sa/envoy']);
  const events = tg.audit.events.length;
  const r = await check();
  t.equal(r.err?.code, grpc.status.PERMISSION_DENIED);
  t.equal(r.err?.details, 'client_certificate_not_allowed');
  t.notOk(leaks(r.text), 'no key in what came back');
  const p = await processStream();
  t.equal(p.err?.code, grpc.status.PERMISSION_DENIED, 'ext_proc too');
  t.same(p.answers, [], 'no answer, so no header mutation');
  t.equal(tg.audit.events.length, events, 'the gate never ran a decision for it');
  const line = tg.logs().find((l) => l.includes('client_certificate_not_allowed'));
  t.ok(line, 'the refusal is logged with its code');
  t.match(line, /"certificate_names":\["envoy"\]/, 'naming what the certificate carried');
  t.notOk(tg.logs().some(leaks), 'no key in any log line');
});

t.test('client names: a reload that names it again lets it through at once', async (t) => {
  await reloadTo(['other', 'envoy']);
  const r = await check();
  t.equal(r.err, null);
  t.match(r.text, /"code":0/);
  const p = await processStream();
  t.ok(p.answers.length > 0, 'an ext_proc stream is served again (this one without a sealed context is refused by the processor, as any would be)');
});
