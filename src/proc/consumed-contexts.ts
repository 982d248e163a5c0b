/**
 * The contexts this replica has already let open a stream. A sealed context opens one ext_proc
 * stream once: a second stream with it is a replay. Entries are forgotten when their seal expires
 * (after that the seal itself is refused), so the set holds at most the contexts of one seal
 * lifetime; past `capacity` live entries new contexts are refused (fail closed) rather than
 * letting the set grow without bound.
 */
export interface ConsumedContexts {
  /** 'fresh' the first time a request id is claimed, 'replayed' after, 'full' when the set is at capacity. */
  claim(requestId: string, expiresAt: number, now?: number): 'fresh' | 'replayed' | 'full';
  readonly size: number;
}

export function createConsumedContexts(capacity: number): ConsumedContexts {
  // Insertion order ≈ expiry order (every seal has the same lifetime), so expired entries sit at the front.
  const seen = new Map<string, number>();
  const prune = (now: number) => {
    for (const [id, expiresAt] of seen) {
      if (expiresAt >= now) break;
      seen.delete(id);
    }
  };
  return {
    claim(requestId, expiresAt, now = Date.now()) {
      prune(now);
      if (seen.has(requestId)) return 'replayed';
      if (seen.size >= capacity) return 'full';
      seen.set(requestId, expiresAt);
      return 'fresh';
    },
    get size() {
      return seen.size;
    },
  };
}
