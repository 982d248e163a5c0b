import type { Runtime } from '../config/compile.js';
import { siteHost, type DatadogSite } from '../config/sites.js';
import { isKeywardError } from '../errors.js';
import { connectionKeys } from '../inject/keys.js';
import { maskBody } from '../mask/body.js';
import { splitRequestPath } from '../policy/request-path.js';
import { jsonDiff, type JsonChange } from './json-diff.js';
import type { ApprovalRecord } from './store.js';

/** The object an update would change, as Datadog has it now, beside the requested body. */
export type CurrentObject =
  | { readonly state: 'shown'; readonly masked_body: string; readonly changes: readonly JsonChange[]; readonly truncated: boolean }
  | { readonly state: 'unavailable'; readonly reason: 'not_found' | 'upstream_error' | 'unreachable' | 'not_json' | 'path_masked' | 'connection_unknown' | 'masking_failed' };

export interface CurrentObjectDeps {
  /** Network seam (tests point it at the fake Datadog). */
  readonly fetch?: typeof fetch;
  /** Base URL of a site's API host; default `https://api.<site>`. */
  readonly origin?: (site: DatadogSite) => string;
  readonly timeoutMs?: number;
}

export const DIFFED_METHODS = new Set(['PUT', 'PATCH']);

/**
 * Reads the current object with a GET of the same path through the approval's connection (its own
 * keys, the API host of its site), masks the answer like any response, and diffs it with the
 * masked request body. Failures are reasons shown on the page, never errors with upstream text.
 */
export async function readCurrentObject(a: ApprovalRecord, runtime: Runtime, deps: CurrentObjectDeps = {}): Promise<CurrentObject> {
  const connection = runtime.config.connections.find((c) => c.name === a.connection);
  if (!connection) return { state: 'unavailable', reason: 'connection_unknown' };
  const { path } = splitRequestPath(a.path);
  // The stored path is the audited one: a masked segment would read another object (or none).
  if (path.includes('[REDACTED') || path.includes('[MASKED')) return { state: 'unavailable', reason: 'path_masked' };
  const origin = deps.origin?.(connection.site) ?? `https://${siteHost(connection.site, 'api')}`;
  const headers: Record<string, string> = { accept: 'application/json', 'accept-encoding': 'identity', 'dd-api-key': connection.api_key };
  if (connection.app_key) headers['dd-application-key'] = connection.app_key;
  let res: Response;
  let raw: Buffer;
  try {
    res = await (deps.fetch ?? fetch)(`${origin}${path}`, { method: 'GET', headers, redirect: 'error', signal: AbortSignal.timeout(deps.timeoutMs ?? 5_000) });
    raw = Buffer.from(await res.arrayBuffer());
  } catch {
    return { state: 'unavailable', reason: 'unreachable' };
  }
  if (res.status === 404) return { state: 'unavailable', reason: 'not_found' };
  if (!res.ok) return { state: 'unavailable', reason: 'upstream_error' };
  let masked: string;
  try {
    const masking = runtime.maskingFor(a.rule);
    masked = (
      await maskBody(raw, res.headers.get('content-type') ?? 'application/json', undefined, {
        masker: masking.masker,
        codec: runtime.codec,
        literals: connectionKeys(connection),
        route: { method: 'GET', path },
        auditHandles: runtime.config.masking.functional_fields.audit,
      })
    ).maskedText;
  } catch (e) {
    return { state: 'unavailable', reason: isKeywardError(e) && e.code === 'body_json_invalid' ? 'not_json' : 'masking_failed' };
  }
  const diff = a.masked_body === null ? null : jsonDiff(masked, a.masked_body, a.method);
  if (!diff) return { state: 'unavailable', reason: 'not_json' };
  return { state: 'shown', masked_body: masked, changes: diff.changes, truncated: diff.truncated };
}
