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
  const remaining = new Gauge({
    name: 'keyward_budget_remaining_ratio',
    help: 'Share of a budget window left to an identity (1 untouched, 0 spent); quantity "series" is the cardinality guard.',
    labelNames: ['budget', 'window', 'quantity', 'identity'] as const,
    registers: [registry],
  });
  type Labels = Record<'budget' | 'window' | 'quantity' | 'identity', string>;
  /** identity → its label sets with their prom-client child (no label hashing per call); Map order is recency. */
  const seen = new Map<string, Map<string, { labels: Labels; child: { set(value: number): void } }>>();

  function touch(identity: string) {
    let sets = seen.get(identity);
    if (sets) seen.delete(identity);
    else sets = new Map();
    seen.set(identity, sets);
    while (seen.size > MAX_GAUGE_IDENTITIES) {
      const [oldest, evicted] = seen.entries().next().value as [string, Map<string, { labels: Labels }>];
      for (const { labels } of evicted.values()) remaining.remove(labels);
      seen.delete(oldest);
    }
    return sets;
  }
  function set(identity: string, budget: string, window: string, quantity: string, ratio: number) {
    const sets = touch(identity);
    const key = `${budget}\0${window}\0${quantity}`;
    let entry = sets.get(key);
    if (!entry) {
      const labels = { budget, window, quantity, identity };
      entry = { labels, child: remaining.labels(labels) };
      sets.set(key, entry);
    }
    entry.child.set(Math.max(0, Math.min(1, ratio)));
  }
  return {
    record(identity, standings) {
      for (const s of standings) set(identity, s.budget, `${s.windowMs / 1000}s`, s.quantity, s.limit === 0 ? 0 : s.remaining / s.limit);
    },
    recordSeries(identity, budget, max, distinct) {
      set(identity, budget, '3600s', 'series', (max - distinct) / max);
    },
  };
}
