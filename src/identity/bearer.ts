import { decodeJwt, decodeProtectedHeader, type JWTPayload, type ProtectedHeaderParameters } from 'jose';
import { KeywardError } from '../errors.js';

const BEARER = /^Bearer[ \t]+([A-Za-z0-9._~+/=-]+)[ \t]*$/i;

/** The token from an `authorization: Bearer …` header value. */
export function extractBearer(authorization: string | undefined): string {
  if (authorization === undefined || authorization.trim() === '') throw new KeywardError('token_missing');
  const m = BEARER.exec(authorization);
  if (!m) throw new KeywardError('token_malformed', 'authorization header is not "Bearer <jwt>"');
  return m[1]!;
}

export interface InspectedToken {
  readonly header: ProtectedHeaderParameters;
  readonly claims: JWTPayload;
}

/**
 * Reads the header and claims without trusting them, to pick the issuer and to refuse
 * unsigned and symmetric tokens before any key is looked up (algorithm confusion: an HMAC
 * token "signed" with an issuer's public RSA key must never verify).
 */
export function inspectToken(token: string): InspectedToken {
  if (token.split('.').length !== 3) throw new KeywardError('token_malformed', 'not a compact JWS');
  let header: ProtectedHeaderParameters;
  let claims: JWTPayload;
  try {
    header = decodeProtectedHeader(token);
    claims = decodeJwt(token);
  } catch {
    throw new KeywardError('token_malformed', 'header or payload does not decode');
  }
  const alg = typeof header.alg === 'string' ? header.alg : '';
  if (alg.toLowerCase() === 'none') throw new KeywardError('token_alg_none');
  if (alg === '' || /^HS\d+$/.test(alg)) throw new KeywardError('token_alg_not_allowed', `alg ${alg || '(missing)'}`);
  if (typeof claims.iss !== 'string') throw new KeywardError('token_claims_invalid', 'iss missing');
  return { header, claims };
}
