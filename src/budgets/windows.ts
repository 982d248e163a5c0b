/**
 * Sliding-window counter arithmetic (pure). A window of length W is two fixed buckets: the current
 * one counts exactly, the previous one is weighted by how much of it still lies inside the last W.
 * Estimated use = current + previous × weight.
 */

export interface WindowPosition {
  /** Index of the fixed bucket `now` falls in (now / W, floored). */
  readonly bucket: number;
  /** Share of the previous bucket still inside the sliding window: 1 at a bucket's start, → 0 at its end. */
  readonly prevWeight: number;
  /** Whole seconds until the current bucket ends (≥ 1): X-RateLimit-Reset, Retry-After. */
  readonly resetSeconds: number;
  /** How long a bucket's counter must live: it is read as "previous" during the next bucket. */
  readonly ttlMs: number;
}

export function windowPosition(nowMs: number, windowMs: number): WindowPosition {
  const bucket = Math.floor(nowMs / windowMs);
  const elapsed = nowMs - bucket * windowMs;
  return {
    bucket,
    prevWeight: 1 - elapsed / windowMs,
    resetSeconds: Math.max(1, Math.ceil((windowMs - elapsed) / 1000)),
    ttlMs: 2 * windowMs + 1000,
  };
}

/** The sliding estimate the counter store computes (kept here so both stores and tests agree). */
export function slidingEstimate(current: number, previous: number, prevWeight: number): number {
  return current + previous * prevWeight;
}

/** Series are remembered per slot of ten minutes; the last six slots are the rolling hour. */
export const SERIES_SLOT_MS = 10 * 60_000;
export const SERIES_SLOTS = 6;

/** The slots making up the rolling hour at `now`, newest first. */
export function seriesSlots(nowMs: number): number[] {
  const slot = Math.floor(nowMs / SERIES_SLOT_MS);
  return Array.from({ length: SERIES_SLOTS }, (_, i) => slot - i);
}

/** A slot's key lives until it leaves the rolling hour. */
export const SERIES_TTL_MS = (SERIES_SLOTS + 1) * SERIES_SLOT_MS;
