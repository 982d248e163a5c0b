/**
 * Wall-clock time in milliseconds since the epoch. The gate reads it through one seam (token times,
 * approval expiry, hold deadlines, audit row times) so tests can move time instead of sleeping.
 * Latency is measured separately, on the monotonic `performance.now()`.
 */
export type WallClock = () => number;

export const systemClock: WallClock = () => Date.now();
