/**
 * The path of an agent request, split from its query and checked for tricks that would make the
 * gate and Datadog disagree on which endpoint is called (encoded slashes, dot segments, double
 * slashes). Such a path is not normalised here: it is classified `unknown`, so default deny applies.
 */
export interface RequestPath {
  readonly path: string;
  readonly query: string;
  /** False when the path hides its real shape; callers must treat the operation as unknown. */
  readonly canonical: boolean;
}

// Encoded characters, path parameters (;), backslashes, empty and dot segments: shapes on which the
// gate and Datadog could disagree about the endpoint. Envoy normalises what is legitimately encoded.
const SUSPICIOUS = /%|;|\\|\/\/|\/\.\.?(?:\/|$)/;

export function splitRequestPath(rawPath: string): RequestPath {
  const q = rawPath.indexOf('?');
  const path = q === -1 ? rawPath : rawPath.slice(0, q);
  const query = q === -1 ? '' : rawPath.slice(q + 1);
  const canonical = path.startsWith('/') && !SUSPICIOUS.test(path) && !/[\s#]/.test(path);
  return { path, query, canonical };
}

/** Query parameters in which agents may still put a Datadog key (legacy clients). */
export const KEY_QUERY_PARAMS = ['api_key', 'application_key', 'dd-api-key', 'dd-application-key'] as const;

/** A legacy logs-intake path carrying the key itself: `/v1/input/<KEY>`, in any case (the classifier ignores case too). */
export const LEGACY_INPUT = /^\/v1\/input\/[^/]+/i;

/** Query parameters, split on '&' and on ';' (a separator for some servers: no key may hide behind it). */
export function queryParts(query: string): string[] {
  return query === '' ? [] : query.split(/[&;]/);
}

/** The decoded name of one `name=value` query part; a bad escape is kept as written. */
export function paramName(part: string): string {
  const eq = part.indexOf('=');
  const name = eq === -1 ? part : part.slice(0, eq);
  try {
    return decodeURIComponent(name.replace(/\+/g, ' '));
  } catch {
    return name;
  }
}

export function isKeyParam(part: string): boolean {
  return (KEY_QUERY_PARAMS as readonly string[]).includes(paramName(part).toLowerCase());
}

/** Whether any query part names a key parameter (decoded, any case, `&` or `;` separated). */
export function hasKeyParam(rawPath: string): boolean {
  return queryParts(splitRequestPath(rawPath).query).some(isKeyParam);
}

/** The path and query with every key-bearing part removed: what audit rows and logs may show. */
export function redactedPath(rawPath: string): string {
  const { path, query } = splitRequestPath(rawPath);
  const safePath = path.replace(LEGACY_INPUT, '/v1/input/[REDACTED]');
  if (query === '') return safePath;
  const parts = queryParts(query).map((part) => (isKeyParam(part) ? `${part.split('=')[0]}=[REDACTED]` : part));
  return `${safePath}?${parts.join('&')}`;
}
