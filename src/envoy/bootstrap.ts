import { FILTER_FAILURE_DETAILS, LOCAL_REPLY_STATUS, localReplyBody } from './local-replies.js';
import { parseDuration } from '../config/duration.js';
import { DEFAULT_APPROVAL_HOLD } from '../config/schema.js';
import { clusterName, DATADOG_SITES, siteHost, type DatadogSite, type HostRole } from '../config/sites.js';
import { CLUSTER_HEADER, EXT_AUTHZ_NAMESPACE } from './contract.js';
import { AUTHZ_CLUSTER, datadogCluster, keywardAddress, keywardCluster, MiB, parseAddress, PROC_CLUSTER, type } from './bootstrap-clusters.js';

export { AUTHZ_CLUSTER, HEALTH_SERVICES, parseAddress, PROC_CLUSTER } from './bootstrap-clusters.js';

/**
 * The Envoy v3 bootstrap that puts keyward in front of Datadog, as plain data (the YAML form Envoy reads).
 * envoy/envoy.yaml is this object rendered with the defaults; test/envoy/bootstrap.test.ts decodes it into
 * envoy.config.bootstrap.v3.Bootstrap and checks the invariants the gate relies on.
 */
export interface EnvoyBootstrapOptions {
  /** Datadog sites to define clusters for; default every site keyward knows. */
  readonly sites?: readonly DatadogSite[];
  /** keyward ext_authz gRPC address, host:port; default 127.0.0.1:9001. */
  readonly authz?: string;
  /** keyward ext_proc gRPC address, host:port; default 127.0.0.1:9002. */
  readonly proc?: string;
  /** Agent-facing listener, host:port; default 0.0.0.0:8080. */
  readonly listen?: string;
  /** Envoy admin, host:port; default 127.0.0.1:9901 (never expose it). */
  readonly admin?: string;
  /** ext_authz call timeout; must exceed the longest approval hold (default hold 25s). Default 30s. */
  readonly authzTimeout?: string;
  /** CA bundle that verifies Datadog's certificates; default the Debian/Ubuntu system bundle. */
  readonly caFile?: string;
  /**
   * mTLS to keyward's gRPC ports (host:port addresses; a unix:// socket needs none): the folder in
   * Envoy's file system holding ca.crt (signed keyward's server certificate), envoy.crt and envoy.key
   * (Envoy's client certificate), as `keyward dev certs` writes them; and the name Envoy sends as SNI
   * and requires in keyward's certificate (listen.tls.server_name). Null → plaintext (loopback only).
   */
  readonly keywardTls?: { readonly dir: string; readonly serverName: string } | null;
}

export const ENVOY_DEFAULTS = {
  authz: '127.0.0.1:9001',
  proc: '127.0.0.1:9002',
  listen: '0.0.0.0:8080',
  admin: '127.0.0.1:9901',
  authzTimeout: '30s',
  caFile: '/etc/ssl/certs/ca-certificates.crt',
  keywardTlsDir: '/etc/envoy/keyward-tls',
  keywardServerName: 'keyward',
} as const;

/** The ext_authz timeout must exceed the approval hold; this is keyward's default hold in seconds. */
export const DEFAULT_APPROVAL_HOLD_SECONDS = parseDuration(DEFAULT_APPROVAL_HOLD)! / 1000;
export const HOST_ROLES: readonly HostRole[] = ['api', 'logs', 'events'];
/** Route names: the cluster-header routes (GET/HEAD may retry, others never) and the fail-closed fallback. */
export const ROUTE_NAMES = { idempotent: 'datadog_idempotent', other: 'datadog', unrouted: 'unrouted' } as const;



const LOCAL_REPLY_BODY_TEXT = localReplyBody();


function durationSeconds(value: string, what: string): number {
  const m = /^(\d+(?:\.\d{1,9})?)s$/.exec(value);
  if (!m) throw new TypeError(`${what}: expected a duration in seconds like "30s", got "${value}"`);
  return Number(m[1]);
}

export function buildEnvoyBootstrap(options: EnvoyBootstrapOptions = {}): Record<string, unknown> {
  const sites = options.sites ?? DATADOG_SITES;
  if (sites.length === 0) throw new TypeError('sites: at least one Datadog site is needed');
  const unknownSite = sites.find((s) => !(DATADOG_SITES as readonly string[]).includes(s));
  if (unknownSite) throw new TypeError(`sites: unknown Datadog site "${unknownSite}" (known: ${DATADOG_SITES.join(', ')})`);
  const authzTimeout = options.authzTimeout ?? ENVOY_DEFAULTS.authzTimeout;
  if (durationSeconds(authzTimeout, 'authzTimeout') <= DEFAULT_APPROVAL_HOLD_SECONDS) {
    throw new TypeError(`authzTimeout: must exceed the approval hold (${DEFAULT_APPROVAL_HOLD_SECONDS}s), got ${authzTimeout}`);
  }
  const caFile = options.caFile ?? ENVOY_DEFAULTS.caFile;
  const uniqueSites = [...new Set(sites)];

  return {
    node: { id: 'keyward-envoy', cluster: 'keyward' },
    admin: { address: { socket_address: parseAddress(options.admin ?? ENVOY_DEFAULTS.admin, 'admin') } },
    static_resources: {
      listeners: [agentListener(parseAddress(options.listen ?? ENVOY_DEFAULTS.listen, 'listen'), authzTimeout)],
      clusters: [
        keywardCluster(AUTHZ_CLUSTER, keywardAddress(options.authz ?? ENVOY_DEFAULTS.authz, 'authz'), keywardTls(options)),
        keywardCluster(PROC_CLUSTER, keywardAddress(options.proc ?? ENVOY_DEFAULTS.proc, 'proc'), keywardTls(options)),
        ...uniqueSites.flatMap((site) => HOST_ROLES.map((role) => datadogCluster(site, role, caFile))),
      ],
    },
  };
}

function agentListener(address: { address: string; port_value: number }, authzTimeout: string): Record<string, unknown> {
  return {
    name: 'agents',
    address: { socket_address: address },
    // Bodies are buffered whole for masking (Datadog accepts up to 5 MiB decompressed); leave headroom.
    per_connection_buffer_limit_bytes: 8 * MiB,
    filter_chains: [
      {
        filters: [
          {
            name: 'envoy.filters.network.http_connection_manager',
            typed_config: connectionManager(authzTimeout),
          },
        ],
      },
    ],
  };
}

function connectionManager(authzTimeout: string): Record<string, unknown> {
  return {
    '@type': type('envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager'),
    stat_prefix: 'agents',
    codec_type: 'AUTO',
    use_remote_address: true,
    // keyward judges the path Envoy forwards: normalise it first, refuse encoded slashes.
    normalize_path: true,
    merge_slashes: true,
    path_with_escaped_slashes_action: 'REJECT_REQUEST',
    common_http_protocol_options: { idle_timeout: '300s', headers_with_underscores_action: 'DROP_HEADER' },
    request_headers_timeout: '10s',
    // Longer than the approval hold, during which no byte moves.
    stream_idle_timeout: '120s',
    request_timeout: '300s',
    // An agent must not pick the Datadog cluster itself: drop its routing header before any route is chosen.
    early_header_mutation_extensions: [
      {
        name: 'keyward.strip_routing_header',
        typed_config: {
          '@type': type('envoy.extensions.http.early_header_mutation.header_mutation.v3.HeaderMutation'),
          mutations: [{ remove: CLUSTER_HEADER }],
        },
      },
    ],
    http_filters: [extAuthzFilter(authzTimeout), extProcFilter(), routerFilter()],
    route_config: routeConfig(),
    local_reply_config: localReplyConfig(),
    access_log: [accessLog()],
  };
}

function extAuthzFilter(timeout: string): Record<string, unknown> {
  return {
    name: 'envoy.filters.http.ext_authz',
    typed_config: {
      '@type': type('envoy.extensions.filters.http.ext_authz.v3.ExtAuthz'),
      grpc_service: { envoy_grpc: { cluster_name: AUTHZ_CLUSTER }, timeout },
      transport_api_version: 'V3',
      failure_mode_allow: false,
      status_on_error: { code: 'ServiceUnavailable' },
      // Approvals bind to the body, so authz sees it (a truncated body is flagged x-envoy-auth-partial-body).
      with_request_body: { max_request_bytes: MiB, allow_partial_message: true, pack_as_bytes: true },
    },
  };
}

function extProcFilter(): Record<string, unknown> {
  return {
    name: 'envoy.filters.http.ext_proc',
    typed_config: {
      '@type': type('envoy.extensions.filters.http.ext_proc.v3.ExternalProcessor'),
      grpc_service: { envoy_grpc: { cluster_name: PROC_CLUSTER } },
      failure_mode_allow: false,
      // Bodies NONE by default: the processor asks for BUFFERED per request with mode_override.
      processing_mode: {
        request_header_mode: 'SEND',
        response_header_mode: 'SEND',
        request_body_mode: 'NONE',
        response_body_mode: 'NONE',
        request_trailer_mode: 'SKIP',
        response_trailer_mode: 'SKIP',
      },
      allow_mode_override: true,
      // Above the audit commit deadline (2s): the request body answer waits for the audit row.
      message_timeout: '3s',
      max_message_timeout: '10s',
      metadata_options: { forwarding_namespaces: { untyped: [EXT_AUTHZ_NAMESPACE] } },
    },
  };
}

function routerFilter(): Record<string, unknown> {
  return {
    name: 'envoy.filters.http.router',
    typed_config: { '@type': type('envoy.extensions.filters.http.router.v3.Router'), suppress_envoy_headers: true },
  };
}

function datadogRoute(name: string, retry: boolean): Record<string, unknown> {
  return {
    name,
    match: {
      prefix: '/',
      headers: [
        { name: CLUSTER_HEADER, present_match: true },
        ...(retry ? [{ name: ':method', string_match: { safe_regex: { regex: '^(GET|HEAD)$' } } }] : []),
      ],
    },
    route: {
      cluster_header: CLUSTER_HEADER,
      auto_host_rewrite: true,
      timeout: '60s',
      ...(retry
        ? {
            retry_policy: {
              retry_on: '5xx,connect-failure,reset,refused-stream',
              num_retries: 2,
              per_try_timeout: '20s',
              retry_back_off: { base_interval: '0.25s', max_interval: '2s' },
              // Belt and braces: even a retry asked for by header only happens for GET/HEAD.
              retriable_request_headers: [{ name: ':method', string_match: { safe_regex: { regex: '^(GET|HEAD)$' } } }],
            },
          }
        : {}),
    },
    // Neither keyward's routing header nor the agent's token goes to Datadog.
    request_headers_to_remove: [CLUSTER_HEADER, 'authorization'],
  };
}

function routeConfig(): Record<string, unknown> {
  return {
    name: 'datadog',
    virtual_hosts: [
      {
        name: 'datadog',
        domains: ['*'],
        routes: [
          datadogRoute(ROUTE_NAMES.idempotent, true),
          datadogRoute(ROUTE_NAMES.other, false),
          {
            // ext_proc did not choose a Datadog cluster: fail closed.
            name: ROUTE_NAMES.unrouted,
            match: { prefix: '/' },
            direct_response: { status: LOCAL_REPLY_STATUS, body: { inline_string: LOCAL_REPLY_BODY_TEXT } },
            response_headers_to_add: [{ header: { key: 'content-type', value: 'application/json' }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' }],
          },
        ],
      },
    ],
  };
}

/** keyward unreachable or failing (ext_authz status_on_error, ext_proc errors): a JSON body, not an empty 503. */
function localReplyConfig(): Record<string, unknown> {
  return {
    mappers: [
      {
        filter: {
          extension_filter: {
            name: 'envoy.access_loggers.extension_filters.cel',
            typed_config: {
              '@type': type('envoy.extensions.access_loggers.filters.cel.v3.ExpressionFilter'),
              expression: FILTER_FAILURE_DETAILS.map((p) => `response.code_details.startsWith('${p}')`).join(' || '),
            },
          },
        },
        status_code: LOCAL_REPLY_STATUS,
        body_format_override: {
          json_format: JSON.parse(localReplyBody('%REQ(X-REQUEST-ID)%')) as Record<string, unknown>,
          content_type: 'application/json',
        },
      },
    ],
  };
}

/**
 * JSON lines on stdout. No path or query (legacy agents put keys there: /v1/input/<KEY>, ?api_key=) and no
 * credential header; keyward's audit rows hold the masked path, joined by request id.
 */
export const ACCESS_LOG_FIELDS: Readonly<Record<string, string>> = {
  time: '%START_TIME%',
  request_id: '%REQ(X-REQUEST-ID)%',
  // The id keyward's audit rows and decision lines carry (the response header ext_authz adds): the join key.
  keyward_request_id: '%RESP(X-KEYWARD-REQUEST-ID)%',
  method: '%REQ(:METHOD)%',
  authority: '%REQ(:AUTHORITY)%',
  connection: '%REQ(X-KEYWARD-CONNECTION)%',
  user_agent: '%REQ(USER-AGENT)%',
  downstream: '%DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT%',
  route: '%ROUTE_NAME%',
  status: '%RESPONSE_CODE%',
  details: '%RESPONSE_CODE_DETAILS%',
  flags: '%RESPONSE_FLAGS%',
  upstream_cluster: '%UPSTREAM_CLUSTER%',
  upstream_host: '%UPSTREAM_HOST%',
  bytes_in: '%BYTES_RECEIVED%',
  bytes_out: '%BYTES_SENT%',
  duration_ms: '%DURATION%',
  upstream_ms: '%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)%',
};

function accessLog(): Record<string, unknown> {
  return {
    name: 'envoy.access_loggers.stdout',
    typed_config: {
      '@type': type('envoy.extensions.access_loggers.stream.v3.StdoutAccessLog'),
      log_format: { json_format: { ...ACCESS_LOG_FIELDS } },
    },
  };
}

function keywardTls(options: EnvoyBootstrapOptions): { dir: string; serverName: string } | null {
  if (options.keywardTls === null) return null;
  return { dir: options.keywardTls?.dir ?? ENVOY_DEFAULTS.keywardTlsDir, serverName: options.keywardTls?.serverName ?? ENVOY_DEFAULTS.keywardServerName };
}
