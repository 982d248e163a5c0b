import { BUDGET_QUANTITIES, type BudgetQuantity } from '../config/sections/budgets.js';
import type { RefusalExtras } from '../errors.js';
import { budgetKeys } from './keys.js';
import type { BudgetCaller, CompiledBudget } from './match.js';
import type { ConsumeResult, CounterCheck } from './store.js';
import { windowPosition } from './windows.js';

/** What one call adds, per quantity. */
export type Amounts = Partial<Record<BudgetQuantity, number>>;

/** Which window of which budget a counter check stands for. */
export interface PlannedCheck {
  readonly budget: CompiledBudget;
  readonly windowMs: number;
  readonly resetSeconds: number;
  readonly check: CounterCheck;
}

/** The counter checks a call draws on (pure): every window of every matching budget that limits something the call adds. */
export function planChecks(budgets: readonly CompiledBudget[], caller: BudgetCaller, amounts: Amounts, prefix: string, nowMs: number): PlannedCheck[] {
  const out: PlannedCheck[] = [];
  for (const budget of budgets) {
    const keys = budgetKeys(prefix, budget.config.name);
    const scope = budget.scope(caller);
    for (const w of budget.config.limits) {
      const limits = BUDGET_QUANTITIES.map((q) => w[q] ?? -1);
      const adds = BUDGET_QUANTITIES.map((q) => amounts[q] ?? 0);
      if (!limits.some((l, i) => l >= 0 && adds[i]! > 0)) continue;
      const pos = windowPosition(nowMs, w.window);
      out.push({
        budget,
        windowMs: w.window,
        resetSeconds: pos.resetSeconds,
        check: {
          current: keys.counter(scope, w.window, pos.bucket),
          previous: keys.counter(scope, w.window, pos.bucket - 1),
          index: keys.index,
          scope,
          prevWeight: pos.prevWeight,
          ttlMs: pos.ttlMs,
          limits,
          amounts: adds,
        },
      });
    }
  }
  return out;
}

/** One window's standing after a decision: what the gauges and headers report. */
export interface WindowStanding {
  readonly budget: string;
  readonly windowMs: number;
  readonly quantity: BudgetQuantity;
  readonly limit: number;
  /** Left after this call (before it, when it was refused). */
  readonly remaining: number;
  readonly resetSeconds: number;
}

export function standings(planned: readonly PlannedCheck[], result: ConsumeResult): WindowStanding[] {
  const out: WindowStanding[] = [];
  planned.forEach((p, i) => {
    BUDGET_QUANTITIES.forEach((q, j) => {
      const limit = p.check.limits[j]!;
      if (limit < 0) return;
      const used = result.used[i * 5 + j] ?? 0;
      const after = result.refused < 0 ? used + p.check.amounts[j]! : used;
      out.push({ budget: p.budget.config.name, windowMs: p.windowMs, quantity: q, limit, remaining: Math.max(0, Math.floor(limit - after)), resetSeconds: p.resetSeconds });
    });
  });
  return out;
}

/** Datadog's own rate-limit headers (and Retry-After), so the official clients back off by themselves. */
export function rateLimitHeaders(name: string, limit: number, remaining: number, resetSeconds: number, periodSeconds: number): Record<string, string> {
  return {
    'x-ratelimit-limit': String(limit),
    'x-ratelimit-remaining': String(remaining),
    'x-ratelimit-reset': String(resetSeconds),
    'x-ratelimit-period': String(periodSeconds),
    'x-ratelimit-name': name,
    'retry-after': String(resetSeconds),
  };
}

/** The refusal of the first window that went over (pure). */
export function exceededExtras(planned: readonly PlannedCheck[], result: ConsumeResult): RefusalExtras {
  const p = planned[Math.floor(result.refused / 5)]!;
  const j = result.refused % 5;
  const limit = p.check.limits[j]!;
  const remaining = Math.max(0, Math.floor(limit - (result.used[result.refused] ?? 0)));
  const name = p.budget.config.name;
  return {
    error: { budget: name, window: `${p.windowMs / 1000}s`, quantity: BUDGET_QUANTITIES[j], limit, remaining },
    headers: rateLimitHeaders(name, limit, remaining, p.resetSeconds, p.windowMs / 1000),
  };
}

/**
 * Headers of an allowed call: Datadog's X-RateLimit set for the requests window with the smallest
 * share left (ties: the sooner reset), so a client paces itself on the budget that binds first. No
 * Retry-After: nothing is refused.
 */
export function allowedHeaders(windows: readonly WindowStanding[]): Record<string, string> {
  let best: WindowStanding | undefined;
  for (const w of windows) {
    if (w.quantity !== 'requests') continue;
    const share = w.limit === 0 ? 0 : w.remaining / w.limit;
    const bestShare = best === undefined ? Infinity : best.limit === 0 ? 0 : best.remaining / best.limit;
    if (share < bestShare || (share === bestShare && best !== undefined && w.resetSeconds < best.resetSeconds)) best = w;
  }
  if (!best) return {};
  const { 'retry-after': _, ...headers } = rateLimitHeaders(best.budget, best.limit, best.remaining, best.resetSeconds, best.windowMs / 1000);
  return headers;
}
