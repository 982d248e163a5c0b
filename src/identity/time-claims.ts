import type { JWTPayload } from 'jose';
import { KeywardError } from '../errors.js';
import type { IssuerConfig } from '../config/schema.js';

/**
 * The `iat` checks jose leaves out: it refuses an `iat` in the future only when `maxTokenAge` is set,
 * and it has no bound on `exp - iat`. A token "issued" tomorrow or valid for a year is refused here,
 * whatever the issuer's other settings. Times are epoch seconds; skew in milliseconds.
 */
export function checkIssuedAt(payload: Pick<JWTPayload, 'iat' | 'exp'>, issuer: Pick<IssuerConfig, 'clock_skew' | 'max_token_lifetime'>, nowSec: number): void {
  const skew = issuer.clock_skew / 1000;
  const { iat, exp } = payload;
  if (iat !== undefined && (typeof iat !== 'number' || !Number.isFinite(iat))) throw new KeywardError('token_claims_invalid', 'iat not a number');
  if (iat !== undefined && iat > nowSec + skew) throw new KeywardError('token_not_yet_valid', 'iat in the future');
  if (issuer.max_token_lifetime === undefined) return;
  if (iat === undefined) throw new KeywardError('token_claims_invalid', 'iat missing (the issuer sets max_token_lifetime)');
  if (exp !== undefined && exp - iat > issuer.max_token_lifetime / 1000) throw new KeywardError('token_lifetime_too_long');
}
