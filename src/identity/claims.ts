import type { JWTPayload } from 'jose';
import { KeywardError } from '../errors.js';
import type { IssuerConfig } from '../config/schema.js';
import type { Identity } from './types.js';

/** Reads a claim by name; a dotted name (`realm_access.roles`) walks nested objects. */
function claim(payload: JWTPayload, name: string): unknown {
  if (name in payload) return payload[name];
  let value: unknown = payload;
  for (const part of name.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

function groupsOf(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((g): g is string => typeof g === 'string' && g !== '');
  if (typeof value === 'string') return value.split(/[\s,]+/).filter((g) => g !== '');
  return [];
}

function optionalString(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

/** Builds the identity from verified claims, per the issuer's claim mapping. */
export function identityFromClaims(issuer: IssuerConfig, payload: JWTPayload): Identity {
  const subject = optionalString(claim(payload, issuer.subject_claim));
  if (subject === null) throw new KeywardError('token_claims_invalid', `claim ${issuer.subject_claim} missing`);
  return Object.freeze({
    issuer: issuer.issuer,
    subject,
    groups: Object.freeze(groupsOf(claim(payload, issuer.groups_claim))),
    clientId: optionalString(payload.client_id) ?? optionalString(payload.azp),
    owner: issuer.owner_claim ? optionalString(claim(payload, issuer.owner_claim)) : null,
  });
}
