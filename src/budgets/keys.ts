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
