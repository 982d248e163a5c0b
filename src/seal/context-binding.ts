import { isKeyParam, splitRequestPath } from '../policy/request-path.js';

/**
 * The request a sealed context was checked for, in the form both ends can compute: ext_authz from
 * the CheckRequest, ext_proc from the `:method`/`:path` Envoy gives it. Between the two, Envoy may
 * have removed key query parameters (query_parameters_to_remove), which rebuilds the query sorted by
 * name and writes `?flag` as `?flag=`: so the query (split on `&`) is compared without key parameters, each part
 * as `name=value`, in sorted order. The path itself is compared byte for byte.
 */
export function boundRequest(method: string, rawPath: string): { method: string; path: string } {
  const { path, query } = splitRequestPath(rawPath);
  // Split on "&" only, as Envoy and Datadog do: ";" inside a value stays in it, so a context checked
  // for `?a=1;b=2` (one parameter) never opens `?a=1&b=2` (two).
  const parts = (query === '' ? [] : query.split('&'))
    .filter((p) => p !== '' && !isKeyParam(p))
    .map((p) => (p.includes('=') ? p : `${p}=`))
    .sort();
  return { method: method.toUpperCase(), path: parts.length ? `${path}?${parts.join('&')}` : path };
}
