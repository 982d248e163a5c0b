import { clusterName, siteHost, type DatadogSite, type HostRole } from '../config/sites.js';
import { AUTHZ_SERVICE_NAME, PROC_SERVICE_NAME } from './contract.js';

/** The clusters of the bootstrap (src/envoy/bootstrap.ts): keyward's two gRPC services and the Datadog hosts. */
export const AUTHZ_CLUSTER = 'keyward_authz';
export const PROC_CLUSTER = 'keyward_proc';

export const MiB = 1024 * 1024;
export const type = (name: string) => `type.googleapis.com/${name}`;

/** The public gRPC service names keyward's health service must report SERVING for. */
export const HEALTH_SERVICES = {
  [AUTHZ_CLUSTER]: AUTHZ_SERVICE_NAME,
  [PROC_CLUSTER]: PROC_SERVICE_NAME,
} as const;

export function parseAddress(value: string, what: string): { address: string; port_value: number } {
  const m = /^([^\s:]+|\[[0-9a-fA-F:]+\]):(\d{1,5})$/.exec(value);
  const port = m ? Number(m[2]) : 0;
  if (!m || port < 1 || port > 65535) throw new TypeError(`${what}: expected host:port, got "${value}"`);
  return { address: m[1]!.replace(/^\[|\]$/g, ''), port_value: port };
}

function http2Options(): Record<string, unknown> {
  return {
    'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
      '@type': type('envoy.extensions.upstreams.http.v3.HttpProtocolOptions'),
      explicit_http_config: { http2_protocol_options: { connection_keepalive: { interval: '30s', timeout: '5s' } } },
    },
  };
}

type KeywardAddress = { socket_address: { address: string; port_value: number } } | { pipe: { path: string } };

/** host:port → a socket address; unix:///path → a pipe (the sidecar deployment). */
export function keywardAddress(value: string, what: string): KeywardAddress {
  const unix = /^unix:\/\/(\/\S+)$/.exec(value);
  return unix ? { pipe: { path: unix[1]! } } : { socket_address: parseAddress(value, what) };
}

/**
 * Envoy's side of keyward's mTLS: present envoy.crt, trust only the CA that signed keyward's
 * certificate, send the server name as SNI and require it among the certificate's DNS names.
 */
function keywardTransportSocket(tls: { dir: string; serverName: string }): Record<string, unknown> {
  const file = (f: string) => ({ filename: `${tls.dir.replace(/\/$/, '')}/${f}` });
  return {
    name: 'envoy.transport_sockets.tls',
    typed_config: {
      '@type': type('envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext'),
      sni: tls.serverName,
      common_tls_context: {
        alpn_protocols: ['h2'],
        tls_certificates: [{ certificate_chain: file('envoy.crt'), private_key: file('envoy.key') }],
        validation_context: {
          trusted_ca: file('ca.crt'),
          match_typed_subject_alt_names: [{ san_type: 'DNS', matcher: { exact: tls.serverName } }],
        },
      },
    },
  };
}

export function keywardCluster(name: typeof AUTHZ_CLUSTER | typeof PROC_CLUSTER, address: KeywardAddress, tls: { dir: string; serverName: string } | null): Record<string, unknown> {
  const pipe = 'pipe' in address;
  return {
    name,
    type: pipe ? 'STATIC' : 'STRICT_DNS',
    connect_timeout: '1s',
    // Held approvals keep calls open for up to the hold: spread them by outstanding requests.
    lb_policy: 'LEAST_REQUEST',
    typed_extension_protocol_options: http2Options(),
    load_assignment: { cluster_name: name, endpoints: [{ lb_endpoints: [{ endpoint: { address } }] }] },
    // A Unix socket is its own boundary (file mode); a network address gets mTLS unless rendered plaintext.
    ...(tls && !pipe ? { transport_socket: keywardTransportSocket(tls) } : {}),
    health_checks: [
      {
        timeout: '1s',
        interval: '5s',
        unhealthy_threshold: 2,
        healthy_threshold: 1,
        grpc_health_check: { service_name: HEALTH_SERVICES[name] },
      },
    ],
    circuit_breakers: { thresholds: [{ priority: 'DEFAULT', max_connections: 1024, max_pending_requests: 16384, max_requests: 16384 }] },
  };
}

export function datadogCluster(site: DatadogSite, role: HostRole, caFile: string): Record<string, unknown> {
  const host = siteHost(site, role);
  const name = clusterName(site, role);
  return {
    name,
    // Datadog hosts sit behind many rotating addresses: LOGICAL_DNS keeps one resolved address per connection.
    type: 'LOGICAL_DNS',
    dns_lookup_family: 'V4_PREFERRED',
    connect_timeout: '5s',
    per_connection_buffer_limit_bytes: 8 * MiB,
    load_assignment: {
      cluster_name: name,
      endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: host, port_value: 443 } }, hostname: host } }] }],
    },
    typed_extension_protocol_options: {
      'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
        '@type': type('envoy.extensions.upstreams.http.v3.HttpProtocolOptions'),
        common_http_protocol_options: { idle_timeout: '60s' },
        explicit_http_config: { http_protocol_options: {} },
      },
    },
    transport_socket: {
      name: 'envoy.transport_sockets.tls',
      typed_config: {
        '@type': type('envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext'),
        sni: host,
        common_tls_context: {
          tls_params: { tls_minimum_protocol_version: 'TLSv1_2' },
          validation_context: {
            trusted_ca: { filename: caFile },
            match_typed_subject_alt_names: [{ san_type: 'DNS', matcher: { exact: host } }],
          },
        },
      },
    },
    circuit_breakers: { thresholds: [{ priority: 'DEFAULT', max_connections: 4096, max_pending_requests: 4096, max_requests: 4096 }] },
  };
}
