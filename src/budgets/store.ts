/**
 * The one seam to the counters. Two implementations: Redis (shared by every replica, one atomic
 * round trip per decision) and memory (one replica only). Keys are built by keys.ts; the store only
 * applies the semantics below to them.
 */

/** Number of quantities a counter hash holds, in BUDGET_QUANTITIES order. */
export const QUANTITY_COUNT = 5;

/** One sliding window of one budget for one scope. */
export interface CounterCheck {
  readonly current: string;
  readonly previous: string;
  /** Sorted set of the budget's scopes by last use (what `budgets status` lists). */
  readonly index: string;
  readonly scope: string;
  readonly prevWeight: number;
  readonly ttlMs: number;
  /** Per quantity, -1 when the window does not limit it. */
  readonly limits: readonly number[];
  /** Per quantity, what this call adds. */
  readonly amounts: readonly number[];
}

export interface ConsumeResult {
  /** -1: every check passed and every counter was incremented. Else check × 5 + quantity of the first over-limit one (nothing incremented). */
  readonly refused: number;
  /** Per check and quantity, the sliding use before this call. */
  readonly used: readonly number[];
}

export interface SeriesCheck {
  /** Exact series sets of the rolling hour's slots, newest first (SERIES_SLOTS of them). */
  readonly sets: readonly string[];
  /** HyperLogLogs of the same slots: PFCOUNT of them all is the rolling hour's distinct count. */
  readonly hlls: readonly string[];
  readonly index: string;
  readonly scope: string;
  readonly max: number;
  readonly mode: 'refuse' | 'drop';
  readonly ttlMs: number;
  /** Series ids of the batch (duplicates allowed). */
  readonly ids: readonly string[];
}

/** Per id of the batch: 0 known this hour, 1 new and counted, 2 new and over the budget. */
export type SeriesVerdict = 0 | 1 | 2;

export interface SeriesResult {
  readonly verdicts: readonly SeriesVerdict[];
  /** Distinct series of the rolling hour before this batch. */
  readonly before: number;
}

export interface CounterStore {
  readonly kind: 'redis' | 'memory';
  /** Atomically: read every window, and increment all of them only if none goes over. */
  consume(checks: readonly CounterCheck[], nowMs: number): Promise<ConsumeResult>;
  /** Atomically: classify the batch's series; record the known and accepted ones (none in refuse mode when one is over). */
  series(check: SeriesCheck, nowMs: number): Promise<SeriesResult>;
  /** Best effort, off the decision path: what `budgets top` reads. values: per field, values to count distinct. */
  noteNewSeries(hash: string, counts: ReadonlyMap<string, number>, distinct: ReadonlyMap<string, readonly string[]>, ttlMs: number): Promise<void>;
  /** Reading side of status/top. */
  scopes(index: string, sinceMs: number): Promise<string[]>;
  hashes(keys: readonly string[]): Promise<Record<string, string>[]>;
  distinct(hlls: readonly string[]): Promise<number>;
  /** True when the store answers now (readyz). */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

/** The store failed (Redis unreachable, timeout): the guard turns this into budget_unavailable. */
export class CounterStoreUnavailable extends Error {
  constructor() {
    super('budget counters unavailable');
    this.name = 'CounterStoreUnavailable';
  }
}
