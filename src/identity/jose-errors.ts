import { errors } from 'jose';
import { KeywardError, isKeywardError } from '../errors.js';

/** Maps jose's verification failures to keyward's stable codes. Library messages never reach agents. */
export function fromJoseError(e: unknown): KeywardError {
  if (isKeywardError(e)) return e;
  if (e instanceof errors.JWTExpired) {
    return e.claim === 'iat' ? new KeywardError('token_too_old') : new KeywardError('token_expired');
  }
  if (e instanceof errors.JWTClaimValidationFailed) {
    switch (e.claim) {
      case 'nbf':
      case 'iat':
        return new KeywardError('token_not_yet_valid', `${e.claim} ${e.reason}`);
      case 'aud':
        return new KeywardError('token_audience_invalid');
      case 'iss':
        return new KeywardError('token_issuer_unknown');
      default:
        return new KeywardError('token_claims_invalid', `${e.claim} ${e.reason}`);
    }
  }
  if (e instanceof errors.JOSEAlgNotAllowed) return new KeywardError('token_alg_not_allowed');
  if (e instanceof errors.JWSSignatureVerificationFailed) return new KeywardError('token_signature_invalid');
  if (e instanceof errors.JWKSNoMatchingKey) return new KeywardError('token_kid_unknown');
  if (e instanceof errors.JWKSMultipleMatchingKeys) return new KeywardError('token_kid_unknown', 'several keys match');
  if (e instanceof errors.JWSInvalid || e instanceof errors.JWTInvalid) return new KeywardError('token_malformed');
  if (e instanceof errors.JOSENotSupported) return new KeywardError('token_alg_not_allowed', 'unsupported');
  // Key set unreachable, timed out, invalid JSON: fail closed with 503.
  if (e instanceof errors.JWKSTimeout || e instanceof errors.JWKSInvalid) return new KeywardError('issuer_unavailable');
  return new KeywardError('issuer_unavailable', e instanceof Error ? e.name : 'unknown');
}
