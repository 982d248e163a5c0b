import { jwtVerify } from 'jose';
import { KeywardError } from '../errors.js';
import type { IssuerConfig } from '../config/schema.js';
import { extractBearer, inspectToken } from './bearer.js';
import { identityFromClaims } from './claims.js';
import { fromJoseError } from './jose-errors.js';
import { createKeySources, type KeySourceOptions } from './key-sources.js';
import type { Identity } from './types.js';

export interface IdentityVerifierOptions extends KeySourceOptions {
  /** Clock seam for tests. */
  now?: () => Date;
}

/**
 * Verifies an agent's bearer token against the configured issuers. The issuer list comes from
 * the config snapshot of each call; key caches live as long as the verifier.
 */
export function createIdentityVerifier(options: IdentityVerifierOptions = {}) {
  const keysFor = createKeySources(options);
  const now = options.now ?? (() => new Date());

  return async function verifyAuthorization(authorization: string | undefined, issuers: readonly IssuerConfig[]): Promise<Identity> {
    const token = extractBearer(authorization);
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
      return identityFromClaims(issuer, payload);
    } catch (e) {
      throw fromJoseError(e);
    }
  };
}

export type IdentityVerifier = ReturnType<typeof createIdentityVerifier>;
