import { createSecureContext } from 'node:tls';
import { z } from 'zod';
import { duration } from '../duration.js';

/**
 * `listen`: where keyward's three listeners are, and how its two gRPC ports authenticate their caller.
 * Only Envoy may call ext_authz and ext_proc: beyond loopback they need mTLS (`tls`, a client
 * certificate from `tls.client_ca` required), a Unix socket (sidecar), or the explicit, warned
 * `insecure_plaintext` opt-out for meshes whose sidecar already does mTLS.
 */

const hostPort = z.string().regex(/^[^\s:]*:\d{1,5}$/, 'expected host:port, e.g. 127.0.0.1:9001');
/** `unix:///abs/path.sock`: a Unix domain socket (sidecar deployments; its file mode is `unix_socket_mode`). */
const UNIX = /^unix:\/\/(\/[^\s]+)$/;
const grpcAddress = z
  .string()
  .refine((v) => UNIX.test(v) || /^[^\s:]*:\d{1,5}$/.test(v), 'expected host:port (e.g. 127.0.0.1:9001) or unix:///absolute/path.sock');

function pem(label: RegExp, what: string) {
  return z.string().refine((v) => label.test(v), `expected a PEM ${what} (reference the file: \${file:/etc/keyward/tls/...})`);
}

const tlsSection = z
  .object({
    /** Server certificate chain (PEM) the gRPC ports present to Envoy. A `${file:}` reference, re-read on change and SIGHUP. */
    cert: pem(/-----BEGIN CERTIFICATE-----/, 'certificate'),
    /** Private key (PEM) of `cert`. A `${file:}` reference. */
    key: pem(/-----BEGIN [A-Z ]*PRIVATE KEY-----/, 'private key'),
    /** CA (PEM) whose certificates may call: every caller must present a client certificate it signed. */
    client_ca: pem(/-----BEGIN CERTIFICATE-----/, 'CA certificate'),
    /**
     * Name Envoy checks in the server certificate (SNI and SAN match), used by `keyward envoy render`.
     * It must be a DNS name in `cert`'s subjectAltName.
     */
    server_name: z.string().min(1).default('keyward'),
    /**
     * Names a caller's certificate must carry (a DNS or URI subjectAltName, e.g. `envoy` or
     * `spiffe://cluster.local/ns/mesh/sa/envoy`); absent → any certificate `client_ca` signed.
     * Set it when `client_ca` also signs certificates for other workloads. Applies on reload.
     */
    client_names: z.array(z.string().min(1)).min(1).optional(),
  })
  .strict()
  .superRefine((t, ctx) => {
    try {
      createSecureContext({ cert: t.cert, key: t.key, ca: t.client_ca });
    } catch (e) {
      // The library's message names the mismatch (e.g. "key values mismatch"); it never contains key material.
      ctx.addIssue({ code: 'custom', message: `cert, key and client_ca do not make a TLS context: ${(e as Error).message}` });
    }
  });

const streamsSection = z
  .object({
    /** Concurrent ext_proc streams one HTTP/2 connection may hold (Envoy multiplexes requests on a few connections). */
    max_per_connection: z.number().int().min(1).default(1_000),
    /** Concurrent ext_proc streams this replica holds in all. */
    max_total: z.number().int().min(1).default(10_000),
    /**
     * A stream with no message for this long is closed. Between its request and response phases a
     * stream waits on Datadog, so this stays above Envoy's ext_proc `max_message_timeout` (10 s),
     * its route timeout (60 s) and its `stream_idle_timeout` (120 s) as `keyward envoy render` sets them.
     */
    idle_timeout: duration()
      .prefault('150s')
      .refine((ms) => ms >= 15_000, 'must be at least 15s: above Envoy’s ext_proc max_message_timeout (10s), and in practice above its route timeout'),
  })
  .strict();

export const listenSection = z
  .object({
    /** gRPC address of the ext_authz service (Envoy `envoy.service.auth.v3.Authorization`): host:port or unix:///path. */
    authz: grpcAddress.default('127.0.0.1:9001'),
    /** gRPC address of the ext_proc service (Envoy `envoy.service.ext_proc.v3.ExternalProcessor`): host:port or unix:///path. */
    proc: grpcAddress.default('127.0.0.1:9002'),
    /** HTTP address of the admin listener: /healthz, /readyz, /metrics, approvals API and page. */
    admin: hostPort.default('127.0.0.1:9000'),
    /** Key sealing the context ext_authz hands to ext_proc (a reference); absent → derived from the Datadog keys. */
    context_key: z.string().min(16).optional(),
    /** mTLS on the authz and proc ports. Required for a host:port beyond loopback, unless `insecure_plaintext`. */
    tls: tlsSection.optional(),
    /** Serve plaintext gRPC beyond loopback anyway (a mesh sidecar does mTLS). Warned about at every start and by `config check`. */
    insecure_plaintext: z.boolean().default(false),
    /** File mode of Unix socket listeners: owner only, or owner and group (Envoy's group in a sidecar pod). */
    unix_socket_mode: z.enum(['0600', '0660']).default('0600'),
    streams: streamsSection.prefault({}),
  })
  .strict()
  .superRefine((l, ctx) => {
    if (l.tls || l.insecure_plaintext) return;
    for (const port of ['authz', 'proc'] as const) {
      if (transportOf(l[port]) === 'exposed') {
        ctx.addIssue({
          code: 'custom',
          path: [port],
          message: `${l[port]} listens beyond loopback without TLS: anyone who reaches it could ask for a Datadog key. Set listen.tls (cert, key, client_ca), use a unix:// socket, or — only behind a mesh that does mTLS — listen.insecure_plaintext: true`,
        });
      }
    }
  });

export type ListenConfig = z.output<typeof listenSection>;
export type TlsConfig = NonNullable<ListenConfig['tls']>;

/** How a gRPC listen address is reached: a Unix socket, loopback only, or the network. */
export function transportOf(address: string): 'unix' | 'loopback' | 'exposed' {
  if (UNIX.test(address)) return 'unix';
  const host = address.slice(0, address.lastIndexOf(':')).replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) ? 'loopback' : 'exposed';
}

/** The socket file of a unix:// address, or null. */
export function unixSocketPath(address: string): string | null {
  return UNIX.exec(address)?.[1] ?? null;
}

/** What an operator must hear about at every start and in `config check`. */
export function listenWarnings(l: ListenConfig): { path: string; message: string }[] {
  if (!l.insecure_plaintext || l.tls) return [];
  const exposed = (['authz', 'proc'] as const).filter((p) => transportOf(l[p]) === 'exposed');
  return [
    {
      path: 'listen.insecure_plaintext',
      message: `the gRPC ports serve plaintext${exposed.length ? ` beyond loopback (${exposed.map((p) => l[p]).join(', ')})` : ''}: any caller that reaches them is trusted as Envoy. Only safe when a mesh sidecar does mTLS in front of keyward`,
    },
  ];
}
