/**
 * keyward's wire contract with Envoy: every header name keyward reads or sets, the metadata that
 * carries the call context from ext_authz to ext_proc, the gRPC service names, the ext_proc phases,
 * and how a header value arrives. The one place these facts are written; it imports nothing, so any
 * room may read it without depending on the gRPC edge.
 */

/**
 * How ext_authz hands the call context to ext_proc. Envoy stores CheckResponse.dynamic_metadata under
 * the ext_authz filter's namespace; envoy.yaml forwards that namespace to ext_proc
 * (metadata_options.forwarding_namespaces.untyped), which reads it from
 * ProcessingRequest.metadata_context.filter_metadata[EXT_AUTHZ_NAMESPACE].fields[CONTEXT_KEY].
 */
export const EXT_AUTHZ_NAMESPACE = 'envoy.filters.http.ext_authz';
export const CONTEXT_KEY = 'keyward';

/** The gRPC services keyward serves (and reports SERVING for in grpc.health.v1). */
export const AUTHZ_SERVICE_NAME = 'envoy.service.auth.v3.Authorization';
export const PROC_SERVICE_NAME = 'envoy.service.ext_proc.v3.ExternalProcessor';

/** Request header naming the Datadog connection when an identity may use several. */
export const CONNECTION_HEADER = 'x-keyward-connection';
/** Request header ext_proc sets to the Envoy cluster the call must go to; envoy.yaml routes on it. */
export const CLUSTER_HEADER = 'x-keyward-cluster';
/** Response header carrying the call's request id (also on refusals). */
export const REQUEST_ID_HEADER = 'x-keyward-request-id';

/** Header names (lower-case) under which an agent or a legacy client may carry a Datadog key. */
export const DD_KEY_HEADERS = ['dd-api-key', 'dd-application-key', 'x-datadog-api-key', 'x-datadog-application-key'] as const;
/** Headers that must never travel upstream: agent-supplied Datadog keys and the agent's own token. */
export const AGENT_CREDENTIAL_HEADERS = ['dd-api-key', 'dd-application-key', 'authorization'] as const;
/**
 * Policy classifies the request's own method; a server honouring one of these would act on another
 * (a GET allowed as a read, carried out as a DELETE). Dropped before anything goes upstream.
 */
export const METHOD_OVERRIDE_HEADERS = ['x-http-method-override', 'x-http-method', 'x-method-override'] as const;
/** Response headers that could identify or echo a key; never returned to the agent. */
export const RESPONSE_HEADERS_TO_STRIP = [...DD_KEY_HEADERS, 'set-cookie'] as const;

/** The ext_proc phases, named as ProcessingRequest's `request` oneof names them. */
export type ProcPhase = 'request_headers' | 'request_body' | 'response_headers' | 'response_body' | 'request_trailers' | 'response_trailers';

/**
 * One Envoy HeaderValue as text. Envoy sends the bytes in `raw_value` (encode_raw_headers, and always
 * to ext_proc in recent builds); older builds and hand-made messages use `value`.
 */
export function headerValueText(h: { readonly value?: string | null; readonly raw_value?: Uint8Array | Buffer | null } | null | undefined): string {
  const raw = h?.raw_value;
  if (raw !== undefined && raw !== null && raw.length > 0) return Buffer.from(raw).toString('utf8');
  return h?.value ?? '';
}
