/**
 * Settings of the development front door, named after the Envoy filter fields they mirror
 * (envoy.extensions.filters.http.ext_authz.v3.ExtAuthz, ext_proc.v3.ExternalProcessor).
 * Defaults are Envoy's, so a test that does not set a field sees what Envoy would do.
 */
import { EXT_AUTHZ_NAMESPACE } from '../src/envoy/contract.js';
import type { UpstreamTls } from './upstream-tls.js';

export type HeaderMode = 'SEND' | 'SKIP';
export type BodyMode = 'NONE' | 'BUFFERED';

export interface ProcessingModeOptions {
  request_header_mode: HeaderMode;
  response_header_mode: HeaderMode;
  request_body_mode: BodyMode;
  response_body_mode: BodyMode;
}

export interface ExtAuthzOptions {
  /** host:port (or unix:///path) of the ext_authz gRPC service. */
  address: string;
  /** The cluster's transport_socket (mTLS); absent → plaintext. */
  tls?: UpstreamTls;
  /** grpc_service.timeout; Envoy's default is 200 ms. */
  timeoutMs: number;
  failureModeAllow: boolean;
  /** HTTP status when the service errors or times out (Envoy default 403). */
  statusOnError: number;
  /** with_request_body; absent → the body is not sent to ext_authz. */
  withRequestBody?: { maxRequestBytes: number; allowPartialMessage: boolean; packAsBytes: boolean };
}

export interface ExtProcOptions {
  address: string;
  /** The cluster's transport_socket (mTLS); absent → plaintext. */
  tls?: UpstreamTls;
  /** message_timeout; Envoy's default is 200 ms. */
  messageTimeoutMs: number;
  /** max_message_timeout: ceiling for override_message_timeout; 0 → overrides refused. */
  maxMessageTimeoutMs: number;
  failureModeAllow: boolean;
  allowModeOverride: boolean;
  processingMode: ProcessingModeOptions;
  /** metadata_options.forwarding_namespaces.untyped */
  forwardingNamespaces: string[];
}

export interface UpstreamCluster {
  /** Where the harness sends the request, e.g. http://127.0.0.1:8125 (a fake Datadog). */
  url: string;
  /** Host header the upstream sees (Envoy's auto_host_rewrite to the Datadog host). */
  hostRewrite?: string;
}

export interface FrontDoorOptions {
  /** host:port the front door listens on (port 0 → any free port). */
  listen: string;
  extAuthz: ExtAuthzOptions;
  extProc?: ExtProcOptions;
  /** Envoy cluster name → upstream. */
  clusters: Record<string, UpstreamCluster>;
  /** Route: take the cluster name from this request header (route.cluster_header). */
  clusterHeader: string;
  /**
   * per_connection_buffer_limit_bytes: a body a filter buffers (ext_proc BUFFERED) beyond this is
   * refused, 413 on the request path, 500 on the response path. Absent: no limit.
   */
  bufferLimitBytes?: number;
  /**
   * Reply as envoy.yaml makes Envoy reply around the filters (src/envoy/local-replies.ts): its
   * local_reply_config for filter failures and its `unrouted` route. Off: the bare filters' replies.
   */
  gateReplies?: boolean;
}

export const ENVOY_DEFAULT_PROCESSING_MODE: ProcessingModeOptions = Object.freeze({
  request_header_mode: 'SEND',
  response_header_mode: 'SEND',
  request_body_mode: 'NONE',
  response_body_mode: 'NONE',
});

export function extAuthzDefaults(address: string): ExtAuthzOptions {
  return { address, timeoutMs: 200, failureModeAllow: false, statusOnError: 403 };
}

export function extProcDefaults(address: string): ExtProcOptions {
  return {
    address,
    messageTimeoutMs: 200,
    maxMessageTimeoutMs: 0,
    failureModeAllow: false,
    allowModeOverride: false,
    processingMode: { ...ENVOY_DEFAULT_PROCESSING_MODE },
    forwardingNamespaces: [],
  };
}

/**
 * The front door set up as envoy/envoy.yaml sets up Envoy: ext_authz with the body (1 MiB, partial
 * allowed, as bytes), a 30 s timeout above the approval hold and 503 on error; ext_proc with mode
 * override, 3 s message timeout (10 s max) and the ext_authz metadata forwarded; its local replies.
 */
export function envoyYamlFrontDoor(listen: string, authzAddress: string, procAddress: string, clusters: Record<string, UpstreamCluster>, clusterHeader: string, tls?: UpstreamTls): FrontDoorOptions {
  return {
    listen,
    extAuthz: { ...extAuthzDefaults(authzAddress), ...(tls ? { tls } : {}), timeoutMs: 30_000, statusOnError: 503, withRequestBody: { maxRequestBytes: 1024 * 1024, allowPartialMessage: true, packAsBytes: true } },
    extProc: { ...extProcDefaults(procAddress), ...(tls ? { tls } : {}), messageTimeoutMs: 3_000, maxMessageTimeoutMs: 10_000, allowModeOverride: true, forwardingNamespaces: [EXT_AUTHZ_NAMESPACE] },
    clusters,
    clusterHeader,
    gateReplies: true,
    bufferLimitBytes: 8 * 1024 * 1024,
  };
}
