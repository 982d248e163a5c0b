import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { KeywardConfig } from '../config/load.js';
import type { CallContext } from './call-context.js';

/**
 * How long a sealed context stays valid: the gap between Envoy's Check answer and the first message
 * of its ext_proc stream, which is immediate (a held call is sealed after its approval, so the hold
 * is not in it). Seconds, not minutes: a context that leaks is useless almost at once, and the
 * per-replica set of consumed contexts only has to remember this long.
 */
export const CONTEXT_TTL_MS = 10_000;
/** A context claiming to expire further ahead than this was not sealed by a replica with a sane clock. */
const MAX_CLOCK_AHEAD_MS = 5_000;

/**
 * The key that seals the call context ext_authz hands to ext_proc. `listen.context_key` when set;
 * otherwise derived from the configured Datadog keys, which every replica with the same config
 * shares and no agent knows. Without a valid seal, ext_proc never injects a key: reaching the
 * ext_proc port is not enough to obtain one.
 */
export function contextKey(config: KeywardConfig): Buffer {
  if (config.listen.context_key) return createHash('sha256').update(`keyward.context:${config.listen.context_key}`).digest();
  const material = config.connections.map((c) => `${c.name}\u0000${c.api_key}\u0000${c.app_key ?? ''}`).sort().join('\u0001');
  return createHash('sha256').update(`keyward.context.derived:${material}`).digest();
}

function payload(c: CallContext, expiresAt: number): string {
  return JSON.stringify([c.request_id, c.issuer, c.subject, [...c.groups], c.client_id, c.connection, c.operation_class, c.rule, c.approval_id, c.config_version, c.approved_body_sha256, c.method, c.path, expiresAt]);
}

export function sealContext(c: CallContext, key: Buffer, now = Date.now()): { expires_at: number; seal: string } {
  const expiresAt = now + CONTEXT_TTL_MS;
  return { expires_at: expiresAt, seal: createHmac('sha256', key).update(payload(c, expiresAt)).digest('base64url') };
}

export function verifySeal(c: CallContext, expiresAt: number, seal: string, keys: readonly Buffer[], now = Date.now()): boolean {
  if (!Number.isFinite(expiresAt) || expiresAt < now || expiresAt > now + CONTEXT_TTL_MS + MAX_CLOCK_AHEAD_MS) return false;
  const given = Buffer.from(seal, 'base64url');
  return keys.some((key) => {
    const expected = createHmac('sha256', key).update(payload(c, expiresAt)).digest();
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}
