import { SERIES_SLOT_MS, seriesSlots } from './windows.js';

/**
 * Redis key names (pure). `{…}` is a Redis Cluster hash tag: every key of one budget and scope lands
 * on one slot, so a script touching them stays valid on a cluster.
 */
export function budgetKeys(prefix: string, budget: string) {
  const tag = (scope: string) => `{${budget}|${scope}}`;
  return {
    counter: (scope: string, windowMs: number, bucket: number) => `${prefix}c:${tag(scope)}:${windowMs / 1000}:${bucket}`,
    index: `${prefix}i:${budget}`,
    seriesIndex: `${prefix}si:${budget}`,
    seriesSet: (scope: string, slot: number) => `${prefix}ss:${tag(scope)}:${slot}`,
    seriesHll: (scope: string, slot: number) => `${prefix}sh:${tag(scope)}:${slot}`,
    /** New-series bookkeeping per clock hour, for `budgets top`. */
    top: (scope: string, hour: number) => `${prefix}st:${tag(scope)}:${hour}`,
    topValues: (scope: string, hour: number, field: string) => `${prefix}sv:${tag(scope)}:${hour}:${field}`,
  };
}

/** The counter keys of one scope's window for one bucket: current and previous. */
export interface CounterKeyPair {
  readonly bucket: number;
  readonly current: string;
  readonly previous: string;
}

/** Scopes a budget keeps key names for before it starts over (bounds memory under many agents). */
export const KEY_CACHE_SCOPES = 10_000;

export interface CounterKeyCache {
  /** The budget's scope index key. */
  index(prefix: string): string;
  /** Counter keys of `scope`'s window number `window` (of `windowMs`) at `bucket`: the same object while the bucket lasts. */
  counters(prefix: string, scope: string, window: number, windowMs: number, bucket: number): CounterKeyPair;
}

/**
 * A decision used to build its counter key names anew (two template strings per window); they only
 * change when a bucket ends, so each budget keeps them per scope and window. Same names as budgetKeys.
 */
export function createCounterKeyCache(budget: string): CounterKeyCache {
  let cachedPrefix: string | undefined;
  let keys = budgetKeys('', budget);
  let scopes = new Map<string, (CounterKeyPair | undefined)[]>();
  const forPrefix = (prefix: string) => {
    if (prefix !== cachedPrefix) {
      cachedPrefix = prefix;
      keys = budgetKeys(prefix, budget);
      scopes = new Map();
    }
  };
  return {
    index(prefix) {
      forPrefix(prefix);
      return keys.index;
    },
    counters(prefix, scope, window, windowMs, bucket) {
      forPrefix(prefix);
      let pairs = scopes.get(scope);
      if (!pairs) {
        if (scopes.size >= KEY_CACHE_SCOPES) scopes.clear();
        scopes.set(scope, (pairs = []));
      }
      const had = pairs[window];
      if (had && had.bucket === bucket) return had;
      const current = keys.counter(scope, windowMs, bucket);
      const pair = { bucket, current, previous: had && had.bucket === bucket - 1 ? had.current : keys.counter(scope, windowMs, bucket - 1) };
      pairs[window] = pair;
      return pair;
    },
  };
}

export function seriesKeyset(prefix: string, budget: string, scope: string, nowMs: number) {
  const k = budgetKeys(prefix, budget);
  const slots = seriesSlots(nowMs);
  return { sets: slots.map((s) => k.seriesSet(scope, s)), hlls: slots.map((s) => k.seriesHll(scope, s)), index: k.seriesIndex };
}

export const hourOf = (nowMs: number) => Math.floor(nowMs / 3_600_000);
export const SERIES_SLOTS_PER_HOUR = 3_600_000 / SERIES_SLOT_MS;

/** Scope back to what status shows: `c:<connection>` → connection, `a:<issuer>#<subject>` → subject. */
export function scopeLabel(scope: string): string {
  if (scope.startsWith('c:')) return scope.slice(2);
  const i = scope.indexOf('#');
  return i < 0 ? scope : scope.slice(i + 1);
}
