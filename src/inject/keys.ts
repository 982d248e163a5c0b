import type { ConnectionConfig } from '../config/schema.js';
import { DD_KEY_HEADERS } from '../envoy/contract.js';
import { LEGACY_INPUT, isKeyParam, queryParts, splitRequestPath } from '../policy/request-path.js';

/** Endpoints that take the API key only; everything else needs the application key too. */
const API_KEY_ONLY: readonly { method: string; path: RegExp }[] = [
  { method: 'POST', path: /^\/api\/v1\/(?:series|distribution_points|check_run|events)$/i },
  { method: 'POST', path: /^\/api\/v2\/(?:series|logs|events)$/i },
  { method: 'POST', path: /^\/v1\/input(?:\/[^/]+)?$/i },
  { method: 'POST', path: /^\/api\/v1\/intake$/i },
  { method: 'GET', path: /^\/api\/v1\/validate$/i },
];

export function needsApplicationKey(method: string, rawPath: string): boolean {
  const { path } = splitRequestPath(rawPath);
  const m = method.toUpperCase();
  return !API_KEY_ONLY.some((e) => e.method === m && e.path.test(path));
}


/** The request header changes that swap agent keys for the connection's, as data. */
export interface KeyPlan {
  readonly set: readonly (readonly [string, string])[];
  readonly remove: readonly string[];
  /** New `:path` when the agent's path carried a key (legacy `/v1/input/<KEY>`, `?api_key=`). */
  readonly path: string | null;
}

/** A connection's Datadog keys: what masking scrubs as literals and logs never show. */
export function connectionKeys(connection: ConnectionConfig): string[] {
  return connection.app_key ? [connection.api_key, connection.app_key] : [connection.api_key];
}

/**
 * Strips every place an agent may have put a key and injects the connection's own: the API key
 * always, the application key only where the connection has one and the endpoint needs it.
 */
export function planKeyInjection(connection: ConnectionConfig, method: string, rawPath: string): KeyPlan {
  const set: [string, string][] = [['dd-api-key', connection.api_key]];
  const appKey = connection.app_key !== undefined && needsApplicationKey(method, rawPath);
  if (appKey) set.push(['dd-application-key', connection.app_key!]);
  const remove = DD_KEY_HEADERS.filter((h) => !set.some(([name]) => name === h));
  return { set, remove, path: pathWithoutKeys(rawPath) };
}

/** The path with legacy key segments and key query parameters removed; null when already clean. */
export function pathWithoutKeys(rawPath: string): string | null {
  const { path, query } = splitRequestPath(rawPath);
  let changed = false;
  let cleanPath = path;
  if (LEGACY_INPUT.test(path)) {
    cleanPath = path.replace(LEGACY_INPUT, '/v1/input');
    changed = true;
  }
  const kept = queryParts(query).filter((part) => {
    const isKey = isKeyParam(part);
    if (isKey) changed = true;
    return !isKey;
  });
  if (!changed) return null;
  return kept.length > 0 ? `${cleanPath}?${kept.join('&')}` : cleanPath;
}
