import { createRemoteJWKSet, customFetch, type JWTVerifyGetKey } from 'jose';
import { KeywardError } from '../errors.js';
import type { IssuerConfig } from '../config/schema.js';

export interface KeySourceOptions {
  /** After a failed discovery, wait this long before asking the issuer again. */
  discoveryRetryMs?: number;
  /** Told about every key set fetch (metrics). */
  onJwksFetch?: (ok: boolean) => void;
}

/**
 * One jose remote key set per (issuer, jwks_uri), shared across config reloads so a reload does not
 * throw away warm caches. jose owns the caching, the shared in-flight fetch and the unknown-kid
 * cooldown; this file only adds OIDC discovery in front of it.
 */
export function createKeySources(options: KeySourceOptions = {}) {
  const discoveryRetryMs = options.discoveryRetryMs ?? 1_000;
  const sets = new Map<string, JWTVerifyGetKey>();
  const discovered = new Map<string, { at: number; uri: Promise<string> }>();

  function jwksFor(uri: string, issuer: IssuerConfig): JWTVerifyGetKey {
    const cacheKey = `${uri} ${issuer.jwks_cache_max_age} ${issuer.jwks_cooldown} ${issuer.jwks_timeout}`;
    let set = sets.get(cacheKey);
    if (!set) {
      set = createRemoteJWKSet(new URL(uri), {
        cacheMaxAge: issuer.jwks_cache_max_age,
        cooldownDuration: issuer.jwks_cooldown,
        timeoutDuration: issuer.jwks_timeout,
        [customFetch]: (url, init) =>
          fetch(url, init).then(
            (res) => {
              options.onJwksFetch?.(res.ok);
              return res;
            },
            (e: unknown) => {
              options.onJwksFetch?.(false);
              throw e;
            },
          ),
      });
      sets.set(cacheKey, set);
    }
    return set;
  }

  function discover(issuer: string, timeoutMs: number): Promise<string> {
    const cached = discovered.get(issuer);
    if (cached && (cached.at === Infinity || Date.now() - cached.at < discoveryRetryMs)) return cached.uri;
    const entry = { at: Date.now(), uri: fetchJwksUri(issuer, timeoutMs) };
    discovered.set(issuer, entry);
    entry.uri.then(
      () => (entry.at = Infinity),
      () => undefined,
    );
    return entry.uri;
  }

  /** The key lookup function for an issuer, resolving its JWKS URI by discovery when not configured. */
  return function keysFor(issuer: IssuerConfig): JWTVerifyGetKey {
    return async (header, token) => {
      const uri = issuer.jwks_uri ?? (await discover(issuer.issuer, issuer.jwks_timeout));
      return jwksFor(uri, issuer)(header, token);
    };
  };
}

async function fetchJwksUri(issuer: string, timeoutMs: number): Promise<string> {
  const url = issuer.replace(/\/$/, '') + '/.well-known/openid-configuration';
  let body: unknown;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'error' });
    if (!res.ok) throw new Error(`status ${res.status}`);
    body = await res.json();
  } catch (e) {
    throw new KeywardError('issuer_unavailable', `discovery failed: ${e instanceof Error ? e.message : 'error'}`);
  }
  const doc = body as { issuer?: unknown; jwks_uri?: unknown };
  if (typeof doc.jwks_uri !== 'string' || doc.issuer !== issuer) {
    throw new KeywardError('issuer_unavailable', 'discovery document lacks jwks_uri or names another issuer');
  }
  return doc.jwks_uri;
}

export type KeySources = ReturnType<typeof createKeySources>;
