import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { devCommand } from '../../../src/cli/dev-certs.js';

t.test('dev certs: a CA, keyward’s server certificate and Envoy’s client certificate, keys 0600', async (t) => {
  const dir = t.testdir({});
  const out = join(dir, 'tls');
  const write = process.stdout.write;
  process.stdout.write = (() => true) as typeof process.stdout.write;
  try {
    await devCommand().parseAsync(['certs', '--out', out, '--names', 'keyward.internal,10.0.0.7', '--days', '30'], { from: 'user' });
  } finally {
    process.stdout.write = write;
  }
  for (const f of ['ca.key', 'server.key', 'envoy.key']) t.equal(statSync(join(out, f)).mode & 0o777, 0o600, `${f} is owner-only`);
  for (const f of ['server.crt', 'envoy.crt']) t.match(execFileSync('openssl', ['verify', '-CAfile', join(out, 'ca.crt'), join(out, f)]).toString(), /: OK/, `${f} is signed by ca.crt`);
  const server = execFileSync('openssl', ['x509', '-in', join(out, 'server.crt'), '-noout', '-ext', 'subjectAltName,extendedKeyUsage']).toString();
  t.match(server, /DNS:keyward\.internal, IP Address:10\.0\.0\.7/);
  t.match(server, /TLS Web Server Authentication/);
  t.match(execFileSync('openssl', ['x509', '-in', join(out, 'envoy.crt'), '-noout', '-ext', 'extendedKeyUsage']).toString(), /TLS Web Client Authentication/);
});
