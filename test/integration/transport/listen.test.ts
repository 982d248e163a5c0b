import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { ConfigError, parseConfig } from '../../../src/config/load.js';
import { TLS_FIXTURES, baseConfig, startTestGate, tlsListenConfig } from '../../helpers/gate.js';
import { stringify } from 'yaml';

const config = (listen: Record<string, unknown>) => stringify({ ...baseConfig([{ issuer: 'https://issuer.example' }]), listen });
const env = { DD_PROD_API: 'a'.repeat(32), DD_PROD_APP: 'b'.repeat(40), DD_EU_API: 'c'.repeat(32), DD_EU_APP: 'd'.repeat(40) };

t.test('listen: a gRPC port beyond loopback without TLS is a config error naming the key and the fixes', async (t) => {
  const err = t.throws(() => parseConfig(config({ authz: '0.0.0.0:9001' }), 'k.yaml', { env })) as ConfigError;
  t.ok(err instanceof ConfigError);
  t.match(err.issues, [{ path: 'listen.authz', line: Number, message: /beyond loopback without TLS.*listen\.tls.*unix:\/\/.*insecure_plaintext/ }]);
  t.doesNotThrow(() => parseConfig(config({ authz: '127.0.0.1:9001', proc: '127.0.0.2:9002' }), 'k.yaml', { env }), 'loopback is fine');
  t.doesNotThrow(() => parseConfig(config({ authz: '0.0.0.0:9001', proc: '0.0.0.0:9002', tls: tlsListenConfig() }), 'k.yaml', { env }), 'with mTLS');
});

t.test('listen: insecure_plaintext is accepted and warned about (config check, start)', async (t) => {
  const c = parseConfig(config({ authz: '0.0.0.0:9001', insecure_plaintext: true }), 'k.yaml', { env });
  t.match(c.warnings, [{ path: 'listen.insecure_plaintext', message: /plaintext beyond loopback \(0\.0\.0\.0:9001\)/ }]);
  const tg = await startTestGate({ ...baseConfig([{ issuer: 'https://issuer.example' }]), listen: { insecure_plaintext: true } }, { listen: { authz: '0.0.0.0:0', proc: '127.0.0.1:0', admin: '127.0.0.1:0' } });
  t.teardown(() => tg.stop());
  t.ok(tg.logs().some((l) => l.includes('listen.insecure_plaintext')), 'warned at start');
});

t.test('listen: an address override beyond loopback without TLS refuses to start', async (t) => {
  await t.rejects(startTestGate(baseConfig([{ issuer: 'https://issuer.example' }]), { listen: { authz: '0.0.0.0:0', proc: '127.0.0.1:0', admin: '127.0.0.1:0' } }, { tls: false }), { name: 'ConfigError', message: /listen\.authz.*beyond loopback/ });
});

t.test('listen: a TLS key that does not match its certificate is a config error', async (t) => {
  const err = t.throws(() => parseConfig(config({ tls: { ...tlsListenConfig(), key: `${'$'}{file:${join(TLS_FIXTURES, 'other-ca', 'envoy.key')}}` } }), 'k.yaml', { env })) as ConfigError;
  t.match(err.issues, [{ path: 'listen.tls', message: /do not make a TLS context/ }]);
});

t.test('listen: Unix socket listeners for a sidecar, mode 0600, served plaintext', async (t) => {
  // A socket path must fit sun_path (108 bytes): a short folder, not tap's long fixture path.
  const dir = mkdtempSync(join(tmpdir(), 'kw-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const authz = join(dir, 'run', 'authz.sock');
  const proc = join(dir, 'run', 'proc.sock');
  const tg = await startTestGate(baseConfig([{ issuer: 'https://issuer.example' }]), { listen: { authz: `unix://${authz}`, proc: `unix://${proc}`, admin: '127.0.0.1:0' } }, { tls: false });
  t.teardown(() => tg.stop());
  t.equal(tg.gate.authzAddress, `unix://${authz}`);
  for (const p of [authz, proc]) t.equal(statSync(p).mode & 0o777, 0o600, `${p} is owner-only`);
  const res = await tg.check({ path: '/api/v1/monitor' });
  t.equal(res.status?.code, 16, 'the Check was answered over the socket (no token → unauthenticated)');
});
