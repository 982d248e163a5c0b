import { Gauge, type Registry } from 'prom-client';
import type { WindowStanding } from './evaluate.js';

/**
 * `keyward_budget_remaining_ratio{budget, window, quantity, identity}`: the share of each budget
 * window left to each identity. `identity` is a subject or connection name, which the rest of
 * keyward's metrics never use as a label: here it is the point, so the series are capped (the
 * identities least recently seen are dropped first) and only identities a budget matched appear.
 */
export const MAX_GAUGE_IDENTITIES = 500;

export interface BudgetGauges {
  record(identity: string, standings: readonly WindowStanding[]): void;
  /** Series over the cardinality guard's budget, as a share left. */
  recordSeries(identity: string, budget: string, max: number, distinct: number): void;
}

export function createBudgetGauges(registry: Registry): BudgetGauges {
  type Labels = Record<'budget' | 'window' | 'quantity' | 'identity', string>;
  interface Entry {
    readonly labels: Labels;
    value: number;
  }
  /**
   * identity → its series, keyed budget → window → quantity (no key strings built per call); Map order
   * is recency. A decision only stores the share: prom-client hashes a child's labels on every set,
   * so the gauge is written from here when it is scraped (collect), not on the decision path.
   */
  const seen = new Map<string, Map<string, Map<number, Map<string, Entry>>>>();
  const remaining = new Gauge({
    name: 'keyward_budget_remaining_ratio',
    help: 'Share of a budget window left to an identity (1 untouched, 0 spent); quantity "series" is the cardinality guard.',
    labelNames: ['budget', 'window', 'quantity', 'identity'] as const,
    registers: [registry],
    collect() {
      for (const budgets of seen.values()) for (const windows of budgets.values()) for (const quantities of windows.values()) for (const e of quantities.values()) this.set(e.labels, e.value);
    },
  });

  function touch(identity: string) {
    let sets = seen.get(identity);
    if (sets) seen.delete(identity);
    else sets = new Map();
    seen.set(identity, sets);
    while (seen.size > MAX_GAUGE_IDENTITIES) {
      const [oldest, evicted] = seen.entries().next().value as [string, Map<string, Map<number, Map<string, Entry>>>];
      for (const windows of evicted.values()) for (const quantities of windows.values()) for (const { labels } of quantities.values()) remaining.remove(labels);
      seen.delete(oldest);
    }
    return sets;
  }
  function set(sets: Map<string, Map<number, Map<string, Entry>>>, identity: string, budget: string, windowMs: number, quantity: string, ratio: number) {
    let windows = sets.get(budget);
    if (!windows) sets.set(budget, (windows = new Map()));
    let quantities = windows.get(windowMs);
    if (!quantities) windows.set(windowMs, (quantities = new Map()));
    let entry = quantities.get(quantity);
    if (!entry) quantities.set(quantity, (entry = { labels: { budget, window: `${windowMs / 1000}s`, quantity, identity }, value: 0 }));
    entry.value = Math.max(0, Math.min(1, ratio));
  }
  return {
    record(identity, standings) {
      if (standings.length === 0) return;
      const sets = touch(identity);
      for (const s of standings) set(sets, identity, s.budget, s.windowMs, s.quantity, s.limit === 0 ? 0 : s.remaining / s.limit);
    },
    recordSeries(identity, budget, max, distinct) {
      set(touch(identity), identity, budget, 3_600_000, 'series', (max - distinct) / max);
    },
  };
}
