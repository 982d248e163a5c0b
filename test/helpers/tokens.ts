import { createHmac, createPublicKey } from 'node:crypto';
import type { JWK } from 'jose';

const b64url = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

/** An unsigned token: header alg "none", empty signature. */
export function unsignedToken(claims: Record<string, unknown>): string {
  return `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url(claims)}.`;
}

/**
 * The algorithm-confusion attack: an HS256 token whose HMAC secret is the issuer's public RSA key
 * (PEM), which a naive verifier would accept.
 */
export async function hmacWithPublicKey(jwksUri: string, claims: Record<string, unknown>): Promise<string> {
  const { keys } = (await (await fetch(jwksUri)).json()) as { keys: JWK[] };
  const pem = createPublicKey({ key: keys[0] as never, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
  const signingInput = `${b64url({ alg: 'HS256', typ: 'JWT', kid: keys[0]!.kid })}.${b64url(claims)}`;
  return `${signingInput}.${createHmac('sha256', pem).update(signingInput).digest('base64url')}`;
}
