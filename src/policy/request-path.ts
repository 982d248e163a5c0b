import { pathShapeProblem } from './path-shape.js';

/**
 * The path of an agent request, split from its query and checked for tricks that would make the
 * gate and Datadog disagree on which endpoint is called (policy/path-shape.ts). Such a path is not
 * normalised here: ext_authz refuses it (`path_not_canonical`) and the catalogue calls it `unknown`.
 */
export interface RequestPath {
  readonly path: string;
  readonly query: string;
  /** False when the path hides its real shape; callers must treat the operation as unknown. */
  readonly canonical: boolean;
}

export function splitRequestPath(rawPath: string): RequestPath {
  const q = rawPath.indexOf('?');
  const path = q === -1 ? rawPath : rawPath.slice(0, q);
  const query = q === -1 ? '' : rawPath.slice(q + 1);
  const canonical = pathShapeProblem(path) === null;
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

/** Newer Datadog credentials (personal/service access tokens, prefixed application keys): a key whatever names it. */
export const NEW_FORMAT_KEY = /(?<![A-Za-z0-9])(?:ddpat|ddsat|ddapp|ddap)_[A-Za-z0-9_-]{16,512}/;

export function isKeyParam(part: string): boolean {
  if ((KEY_QUERY_PARAMS as readonly string[]).includes(paramName(part).toLowerCase())) return true;
  const eq = part.indexOf('=');
  return eq !== -1 && NEW_FORMAT_KEY.test(part.slice(eq + 1));
}

/** Whether any query part names a key parameter (decoded, any case, `&` or `;` separated). */
export function hasKeyParam(rawPath: string): boolean {
  return queryParts(splitRequestPath(rawPath).query).some(isKeyParam);
}

/**
 * The path and query as sent, with the value of every key-bearing part replaced in place: separators
 * (`&` or `;`), order and escapes are kept, so two requests that differ only there stay two requests
 * (approval fingerprints are taken on this). What audit rows show is this, then masked.
 */
export function redactedPath(rawPath: string): string {
  const q = rawPath.indexOf('?');
  const path = q === -1 ? rawPath : rawPath.slice(0, q);
  const safePath = path.replace(LEGACY_INPUT, '/v1/input/[REDACTED]');
  if (q === -1) return safePath;
  const query = rawPath.slice(q + 1).replace(/[^&;]+/g, (part) => (isKeyParam(part) ? `${part.split('=')[0]}=[REDACTED]` : part));
  return `${safePath}?${query}`;
}
