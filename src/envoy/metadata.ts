/**
 * How ext_authz hands the call context to ext_proc. Envoy stores CheckResponse.dynamic_metadata under
 * the ext_authz filter's namespace; envoy.yaml forwards that namespace to ext_proc
 * (metadata_options.forwarding_namespaces.untyped), which reads it from
 * ProcessingRequest.metadata_context.filter_metadata[EXT_AUTHZ_NAMESPACE].fields[CONTEXT_KEY].
 */
export const EXT_AUTHZ_NAMESPACE = 'envoy.filters.http.ext_authz';
export const CONTEXT_KEY = 'keyward';
