import { BUDGET_QUANTITIES } from '../config/sections/budgets.js';
import type { BudgetConfig } from '../config/sections/budgets.js';
import { budgetKeys, hourOf, scopeLabel, seriesKeyset } from './keys.js';
import type { CounterStore } from './store.js';
import { SERIES_TTL_MS, slidingEstimate, windowPosition } from './windows.js';

/** One line of `keyward budgets status`. */
export interface StatusRow {
  readonly budget: string;
  readonly identity: string;
  readonly window: string;
  readonly quantity: string;
  readonly used: number;
  readonly limit: number;
  /** used / limit, 0..∞ (≥ 1: spent). */
  readonly share: number;
}

/** Every identity a budget counted recently, with each window's sliding use; most spent first. */
export async function budgetStatus(budgets: readonly BudgetConfig[], store: CounterStore, prefix: string, nowMs: number): Promise<StatusRow[]> {
  const rows: StatusRow[] = [];
  for (const b of budgets) {
    const keys = budgetKeys(prefix, b.name);
    if (b.limits.length > 0) {
      const longest = Math.max(...b.limits.map((w) => w.window));
      const scopes = await store.scopes(keys.index, nowMs - 2 * longest);
      for (const scope of scopes) {
        const positions = b.limits.map((w) => ({ w, pos: windowPosition(nowMs, w.window) }));
        const hashes = await store.hashes(positions.flatMap(({ w, pos }) => [keys.counter(scope, w.window, pos.bucket), keys.counter(scope, w.window, pos.bucket - 1)]));
        positions.forEach(({ w, pos }, i) => {
          const [cur, prev] = [hashes[2 * i] ?? {}, hashes[2 * i + 1] ?? {}];
          for (const q of BUDGET_QUANTITIES) {
            const limit = w[q];
            if (limit === undefined) continue;
            const used = Math.round(slidingEstimate(Number(cur[q] ?? 0), Number(prev[q] ?? 0), pos.prevWeight));
            rows.push({ budget: b.name, identity: scopeLabel(scope), window: `${w.window / 1000}s`, quantity: q, used, limit, share: limit === 0 ? (used > 0 ? Infinity : 0) : used / limit });
          }
        });
      }
    }
    if (b.series) {
      for (const scope of await store.scopes(keys.seriesIndex, nowMs - SERIES_TTL_MS)) {
        const used = await store.distinct(seriesKeyset(prefix, b.name, scope, nowMs).hlls);
        rows.push({ budget: b.name, identity: scopeLabel(scope), window: '3600s', quantity: 'series', used, limit: b.series.max, share: used / b.series.max });
      }
    }
  }
  return rows.sort((a, b) => b.share - a.share || a.budget.localeCompare(b.budget) || a.identity.localeCompare(b.identity));
}

/** One line of `keyward budgets top`: a metric adding new series for an identity, and the tag that varies most. */
export interface TopRow {
  readonly budget: string;
  readonly identity: string;
  readonly metric: string;
  /** New series of this metric in the current and previous clock hour. */
  readonly newSeries: number;
  /** Tag keys of those new series by distinct values, most first. */
  readonly tags: readonly { readonly key: string; readonly values: number }[];
}

export async function budgetTop(budgets: readonly BudgetConfig[], store: CounterStore, prefix: string, nowMs: number): Promise<TopRow[]> {
  const rows: TopRow[] = [];
  const hours = [hourOf(nowMs), hourOf(nowMs) - 1];
  for (const b of budgets) {
    if (!b.series) continue;
    const keys = budgetKeys(prefix, b.name);
    for (const scope of await store.scopes(keys.seriesIndex, nowMs - SERIES_TTL_MS)) {
      const hashes = await store.hashes(hours.map((h) => keys.top(scope, h)));
      const metrics = new Map<string, number>();
      const tagFields = new Set<string>();
      for (const h of hashes) {
        for (const [field, n] of Object.entries(h)) {
          const parts = field.split('\u0000');
          if (parts[0] === 'm') metrics.set(parts[1]!, (metrics.get(parts[1]!) ?? 0) + Number(n));
          else if (parts[0] === 't') tagFields.add(field);
        }
      }
      for (const [metric, newSeries] of metrics) {
        const tags: { key: string; values: number }[] = [];
        for (const field of tagFields) {
          const [, m, key] = field.split('\u0000');
          if (m !== metric) continue;
          tags.push({ key: key!, values: await store.distinct(hours.map((h) => keys.topValues(scope, h, field))) });
        }
        tags.sort((x, y) => y.values - x.values || x.key.localeCompare(y.key));
        rows.push({ budget: b.name, identity: scopeLabel(scope), metric, newSeries, tags });
      }
    }
  }
  return rows.sort((a, b) => b.newSeries - a.newSeries || a.metric.localeCompare(b.metric));
}
