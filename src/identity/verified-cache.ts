import { createHash } from 'node:crypto';
import type { IssuerConfig } from '../config/schema.js';
import { KeywardError } from '../errors.js';
import type { Identity } from './types.js';

interface Entry {
  readonly identity: Identity;
  /** The issuer config object the token was verified under: a reload makes a new one and misses. */
  readonly issuer: IssuerConfig;
  readonly exp: number;
  readonly nbf: number;
  readonly iat: number | undefined;
  /** Epoch ms after which the entry is verified again even though the token is still valid. */
  readonly recheckAt: number;
}

export interface VerifiedTokenCache {
  get(token: string, issuers: readonly IssuerConfig[], nowMs: number): Identity | undefined;
  set(token: string, entry: Omit<Entry, 'recheckAt'>, nowMs: number): void;
}

/**
 * Agents send the same short-lived token on every call; checking its RS256 signature each time is
 * most of a Check's CPU. A verified token is remembered for at most `maxAgeMs` (and never past its
 * exp), keyed by its sha256, and its time claims are re-checked on every hit. A config reload
 * (new issuer objects) invalidates it. Only successes are cached.
 */
export function createVerifiedTokenCache(options: { maxEntries?: number; maxAgeMs?: number } = {}): VerifiedTokenCache {
  const maxEntries = options.maxEntries ?? 10_000;
  const maxAgeMs = options.maxAgeMs ?? 60_000;
  const entries = new Map<string, Entry>();
  const keyOf = (token: string) => createHash('sha256').update(token).digest('base64');

  return {
    get(token, issuers, nowMs) {
      const key = keyOf(token);
      const e = entries.get(key);
      if (!e) return undefined;
      if (nowMs >= e.recheckAt || !issuers.includes(e.issuer)) {
        entries.delete(key);
        return undefined;
      }
      const now = nowMs / 1000;
      const skew = e.issuer.clock_skew / 1000;
      if (now >= e.exp + skew) throw new KeywardError('token_expired');
      if (now < e.nbf - skew) throw new KeywardError('token_not_yet_valid');
      if (e.issuer.max_token_age !== undefined && e.iat !== undefined && now - e.iat > e.issuer.max_token_age / 1000 + skew) throw new KeywardError('token_too_old');
      return e.identity;
    },
    set(token, entry, nowMs) {
      const recheckAt = Math.min(entry.exp * 1000, nowMs + maxAgeMs);
      if (recheckAt <= nowMs) return;
      if (entries.size >= maxEntries) entries.delete(entries.keys().next().value!);
      entries.set(keyOf(token), { ...entry, recheckAt });
    },
  };
}
