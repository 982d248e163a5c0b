import { copyFileSync, mkdirSync, renameSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { envoyProtos } from '../../../src/envoy/protos.js';
import type { AuthorizationClient } from '../../../proto/gen/envoy/service/auth/v3/Authorization.js';
import type { ExternalProcessorClient } from '../../../proto/gen/envoy/service/ext_proc/v3/ExternalProcessor.js';
import type { ProcessingResponse__Output } from '../../../proto/gen/envoy/service/ext_proc/v3/ProcessingResponse.js';
import { grpcChannel, type UpstreamTls } from '../../../dev/upstream-tls.js';
import { makeDevCertificates } from '../../../src/transport/dev-certs.js';
import { TLS_FIXTURES, baseConfig, envoyClientTls, startTestGate, tlsListenConfig } from '../../helpers/gate.js';
import { countLines, until } from '../../helpers/wait.js';

const Authz = envoyProtos().auth.envoy.service.auth.v3.Authorization;
const Proc = envoyProtos().extProc.envoy.service.ext_proc.v3.ExternalProcessor;

function reachable(address: string, tls: UpstreamTls): Promise<boolean> {
  const ch = grpcChannel(tls);
  const client = new Authz(address, ch.credentials, ch.options) as AuthorizationClient;
  return new Promise((resolve) =>
    client.Check({ attributes: { request: { http: { method: 'GET', path: '/api/v1/monitor', headers: {} } } } }, { deadline: Date.now() + 10_000 }, (err) => {
      client.close();
      resolve(err === null);
    }),
  );
}

const FILES = ['server.crt', 'server.key', 'ca.crt'];

t.test('transport: new certificates (file change) apply to new connections; a stream open on the old ones goes on', async (t) => {
  const dir = t.testdir({});
  const next = await makeDevCertificates(join(dir, 'next'));
  const live = join(dir, 'live');
  mkdirSync(live);
  for (const f of FILES) copyFileSync(join(TLS_FIXTURES, f), join(live, f));
  const tg = await startTestGate({ ...baseConfig([{ issuer: 'https://issuer.example' }]), listen: { tls: tlsListenConfig(live) } });
  t.teardown(() => tg.stop());
  const oldTls = envoyClientTls();
  const newTls = envoyClientTls(next.dir);

  // An ext_proc stream opened on the old certificate, kept open across the rotation.
  const ch = grpcChannel(oldTls);
  const proc = new Proc(tg.gate.procAddress, ch.credentials, ch.options) as ExternalProcessorClient;
  t.teardown(() => proc.close());
  const call = proc.Process();
  const answers: ProcessingResponse__Output[] = [];
  call.on('data', (d: ProcessingResponse__Output) => answers.push(d));
  call.on('error', () => undefined);
  call.write({ response_headers: { headers: { headers: [{ key: ':status', raw_value: Buffer.from('200') }] } } });
  await until(() => answers.length === 1);

  t.ok(await reachable(tg.gate.authzAddress, oldTls), 'the old certificates work before the rotation');
  const applied = countLines(tg.logs, 'gRPC certificates in force');
  for (const f of FILES) {
    copyFileSync(join(next.dir, f === 'ca.crt' ? 'ca.crt' : f), join(live, `.${f}.tmp`));
    renameSync(join(live, `.${f}.tmp`), join(live, f));
  }
  await until(() => countLines(tg.logs, 'gRPC certificates in force') > applied);
  t.ok(await reachable(tg.gate.authzAddress, newTls), 'a new connection gets the new server certificate and accepts the new CA');
  t.notOk(await reachable(tg.gate.authzAddress, oldTls), 'a new connection with the old CA and client certificate is refused');

  call.write({ response_headers: { headers: { headers: [{ key: ':status', raw_value: Buffer.from('200') }] } } });
  await until(() => answers.length === 2);
  t.equal(answers[1]!.response, 'response_headers', 'the stream opened before the rotation is still answered');
  call.end();
});

t.test('transport: SIGHUP re-reads the certificates (a symlinked folder swapped, as Kubernetes does)', async (t) => {
  const dir = t.testdir({});
  const next = await makeDevCertificates(join(dir, 'next'));
  const live = join(dir, 'live');
  symlinkSync(TLS_FIXTURES, live);
  const tg = await startTestGate({ ...baseConfig([{ issuer: 'https://issuer.example' }]), listen: { tls: tlsListenConfig(live) } });
  t.teardown(() => tg.stop());
  t.ok(await reachable(tg.gate.authzAddress, envoyClientTls()));
  symlinkSync(next.dir, join(dir, 'live.new'));
  renameSync(join(dir, 'live.new'), live);
  const applied = countLines(tg.logs, 'gRPC certificates in force');
  process.kill(process.pid, 'SIGHUP');
  await until(() => countLines(tg.logs, 'gRPC certificates in force') > applied);
  t.ok(await reachable(tg.gate.authzAddress, envoyClientTls(next.dir)), 'the new certificates are in force');
});

t.test('transport: a rotation to a key that does not match its certificate is refused; the port keeps serving', async (t) => {
  const dir = t.testdir({});
  const live = join(dir, 'live');
  mkdirSync(live);
  for (const f of FILES) copyFileSync(join(TLS_FIXTURES, f), join(live, f));
  const tg = await startTestGate({ ...baseConfig([{ issuer: 'https://issuer.example' }]), listen: { tls: tlsListenConfig(live) } });
  t.teardown(() => tg.stop());
  copyFileSync(join(TLS_FIXTURES, 'other-ca', 'envoy.key'), join(live, 'server.key'));
  await until(() => tg.logs().some((l) => l.includes('configuration refused')));
  t.ok(await reachable(tg.gate.authzAddress, envoyClientTls()), 'the previous certificates still serve');
});
