import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PassThrough } from 'node:stream';
import * as grpc from '@grpc/grpc-js';
import { stringify } from 'yaml';
import { startGate, type Gate, type GateOptions } from '../../src/gate.js';
import { envoyProtos } from '../../src/envoy/protos.js';
import type { AuthorizationClient } from '../../proto/gen/envoy/service/auth/v3/Authorization.js';
import type { CheckResponse__Output } from '../../proto/gen/envoy/service/auth/v3/CheckResponse.js';
import { createMemoryAudit } from './memory-audit.js';
import { grpcChannel, type UpstreamTls } from '../../dev/upstream-tls.js';

/** Certificates made by `keyward dev certs` (src/transport/dev-certs.ts), valid for a century; other-ca/ is a stranger's CA. */
export const TLS_FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'tls');

/** listen.tls as an operator writes it: every piece a ${file:} reference. */
export function tlsListenConfig(dir = TLS_FIXTURES): Record<string, string> {
  return { cert: `\${file:${join(dir, 'server.crt')}}`, key: `\${file:${join(dir, 'server.key')}}`, client_ca: `\${file:${join(dir, 'ca.crt')}}` };
}

/** What Envoy holds to call keyward: the CA of keyward's certificate, its own client certificate, the SNI name. */
export function envoyClientTls(dir = TLS_FIXTURES, clientDir = dir): UpstreamTls {
  return { ca: readFileSync(join(dir, 'ca.crt')), cert: readFileSync(join(clientDir, 'envoy.crt')), key: readFileSync(join(clientDir, 'envoy.key')), serverName: 'keyward' };
}

/** Test-only Datadog keys (format-valid, never real). */
export const KEYS = {
  prodApi: 'a1b2c3d4e5f60718293a4b5c6d7e8f90',
  prodApp: 'b1c2d3e4f5a60718293a4b5c6d7e8f9012345678',
  euApi: 'c1d2e3f4a5b60718293a4b5c6d7e8f90',
  euApp: 'd1e2f3a4b5c60718293a4b5c6d7e8f9012345678',
} as const;

export interface TestGate {
  gate: Gate;
  dir: string;
  configPath: string;
  audit: ReturnType<typeof createMemoryAudit>;
  logs: () => string[];
  client: AuthorizationClient;
  /** The client TLS material Envoy would use (undefined when the gate runs plaintext). */
  tls: UpstreamTls | undefined;
  /** Credentials + options for a gRPC client that reaches the gate as Envoy does. */
  channel: ReturnType<typeof grpcChannel>;
  check(req: { method?: string; path: string; headers?: Record<string, string>; body?: Buffer }): Promise<CheckResponse__Output>;
  writeConfig(config: unknown): void;
  stop(): Promise<void>;
}

/**
 * Writes a config (keys by ${env:} reference), starts a gate on free ports with an in-memory audit
 * sink. The gRPC ports run mTLS, as in production, unless `transport.tls` is false or the config
 * sets its own listen.tls / insecure_plaintext.
 */
export async function startTestGate(config: Record<string, unknown>, extra: Partial<GateOptions> = {}, transport: { tls?: boolean } = {}): Promise<TestGate> {
  const dir = mkdtempSync(join(tmpdir(), 'keyward-test-'));
  const configPath = join(dir, 'keyward.yaml');
  const ownListen = (config.listen ?? {}) as Record<string, unknown>;
  const useTls = transport.tls !== false && ownListen.tls === undefined && !ownListen.insecure_plaintext;
  const withTls = (c: unknown) => (useTls && c !== null && typeof c === 'object' ? { ...(c as Record<string, unknown>), listen: { tls: tlsListenConfig(), ...((c as Record<string, unknown>).listen as object | undefined) } } : c);
  const writeConfig = (c: unknown) => writeFileSync(configPath, stringify(withTls(c)));
  writeConfig(config);
  const audit = createMemoryAudit();
  const lines: string[] = [];
  const sink = new PassThrough();
  sink.on('data', (d: Buffer) => lines.push(...d.toString('utf8').split('\n').filter(Boolean)));
  const gate = await startGate({
    configPath,
    listen: { authz: '127.0.0.1:0', admin: '127.0.0.1:0', proc: '127.0.0.1:0' },
    audit,
    logDestination: sink,
    env: { ...process.env, DD_PROD_API: KEYS.prodApi, DD_PROD_APP: KEYS.prodApp, DD_EU_API: KEYS.euApi, DD_EU_APP: KEYS.euApp },
    ...extra,
  });
  const Ctor = envoyProtos().auth.envoy.service.auth.v3.Authorization;
  const tls = useTls ? envoyClientTls() : undefined;
  const channel = grpcChannel(tls);
  const client = new Ctor(gate.authzAddress, channel.credentials, channel.options) as AuthorizationClient;
  return {
    gate,
    tls,
    channel,
    dir,
    configPath,
    audit,
    logs: () => lines,
    client,
    writeConfig,
    check: (req) =>
      new Promise((resolve, reject) =>
        client.Check(
          {
            attributes: {
              request: {
                http: {
                  method: req.method ?? 'GET',
                  path: req.path,
                  headers: req.headers ?? {},
                  ...(req.body ? { raw_body: req.body } : {}),
                },
              },
            },
          },
          { deadline: Date.now() + 10_000 },
          (err, res) => (err || !res ? reject(err) : resolve(res)),
        ),
      ),
    async stop() {
      client.close();
      await gate.stop();
    },
  };
}

/** A two-connection config trusting the given issuers. */
export function baseConfig(issuers: { issuer: string; audiences?: string[]; [k: string]: unknown }[], policy: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    logging: { level: 'info' },
    identity: { issuers: issuers.map((i) => ({ audiences: ['keyward'], ...i })) },
    connections: [
      { name: 'prod', site: 'datadoghq.com', api_key: '${env:DD_PROD_API}', app_key: '${env:DD_PROD_APP}', groups: ['agents', 'sre'] },
      { name: 'eu', site: 'datadoghq.eu', api_key: '${env:DD_EU_API}', app_key: '${env:DD_EU_APP}', groups: ['eu-agents', 'sre'] },
    ],
    policy: {
      default: 'deny',
      rules: [
        { name: 'telemetry', match: { class: 'telemetry-write' }, action: 'allow' },
        { name: 'reads', match: { class: 'read' }, action: 'allow' },
        { name: 'no-destructive', match: { class: 'destructive' }, action: 'deny' },
      ],
      ...policy,
    },
  };
}
