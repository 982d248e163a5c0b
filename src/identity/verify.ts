import { jwtVerify } from 'jose';
import { KeywardError } from '../errors.js';
import type { IssuerConfig } from '../config/schema.js';
import { extractBearer, inspectToken } from './bearer.js';
import { identityFromClaims } from './claims.js';
import { checkIssuedAt } from './time-claims.js';
import { fromJoseError } from './jose-errors.js';
import { createKeySources, type KeySourceOptions } from './key-sources.js';
import type { Identity } from './types.js';
import { createVerifiedTokenCache } from './verified-cache.js';

export interface IdentityVerifierOptions extends KeySourceOptions {
  /** Clock seam for tests. */
  now?: () => Date;
  /** How long a verified token is trusted before its signature is checked again (default 60 s; 0 disables). */
  verifiedCacheMs?: number;
}

/**
 * Verifies an agent's bearer token against the configured issuers. The issuer list comes from
 * the config snapshot of each call; key caches live as long as the verifier.
 */
export function createIdentityVerifier(options: IdentityVerifierOptions = {}) {
  const keysFor = createKeySources(options);
  const now = options.now ?? (() => new Date());
  const cacheMs = options.verifiedCacheMs ?? 60_000;
  const cache = cacheMs > 0 ? createVerifiedTokenCache({ maxAgeMs: cacheMs }) : null;

  return async function verifyAuthorization(authorization: string | undefined, issuers: readonly IssuerConfig[]): Promise<Identity> {
    const token = extractBearer(authorization);
    const cached = cache?.get(token, issuers, now().getTime());
    if (cached) return cached;
    const { claims } = inspectToken(token);
    const issuer = issuers.find((i) => i.issuer === claims.iss);
    if (!issuer) throw new KeywardError('token_issuer_unknown');
    try {
      const { payload } = await jwtVerify(token, keysFor(issuer), {
        issuer: issuer.issuer,
        audience: [...issuer.audiences],
        algorithms: [...issuer.algorithms],
        clockTolerance: Math.round(issuer.clock_skew / 1000),
        ...(issuer.max_token_age !== undefined ? { maxTokenAge: Math.round(issuer.max_token_age / 1000) } : {}),
        requiredClaims: ['exp'],
        currentDate: now(),
      });
      checkIssuedAt(payload, issuer, now().getTime() / 1000);
      const identity = identityFromClaims(issuer, payload);
      cache?.set(token, { identity, issuer, exp: payload.exp!, nbf: payload.nbf ?? 0, iat: payload.iat }, now().getTime());
      return identity;
    } catch (e) {
      throw fromJoseError(e);
    }
  };
}

export type IdentityVerifier = ReturnType<typeof createIdentityVerifier>;
