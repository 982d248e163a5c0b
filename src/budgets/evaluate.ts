import { BUDGET_QUANTITIES, type BudgetQuantity } from '../config/sections/budgets.js';
import type { RefusalExtras } from '../errors.js';
import type { BudgetCaller, CompiledBudget, CompiledWindow } from './match.js';
import type { ConsumeResult, CounterCheck } from './store.js';

/** What one call adds, per quantity. */
export type Amounts = Partial<Record<BudgetQuantity, number>>;

/** Which window of which budget a counter check stands for. */
export interface PlannedCheck {
  readonly budget: CompiledBudget;
  readonly windowMs: number;
  readonly resetSeconds: number;
  readonly window: CompiledWindow;
  readonly check: CounterCheck;
}

/** Per quantity, what a Check adds: one request. */
export const ONE_REQUEST: readonly number[] = Object.freeze([1, 0, 0, 0, 0]);

/** Amounts in BUDGET_QUANTITIES order. */
export function amountList(amounts: Amounts): readonly number[] {
  return BUDGET_QUANTITIES.map((q) => amounts[q] ?? 0);
}

/**
 * The counter checks a call draws on (pure): every window of every matching budget that limits
 * something the call adds. `amounts` per quantity (amountList, or ONE_REQUEST). Limits and key names
 * come from the compiled budget (shared, not rebuilt per decision).
 */
export function planChecks(budgets: readonly CompiledBudget[], caller: BudgetCaller, amounts: Amounts | readonly number[], prefix: string, nowMs: number): PlannedCheck[] {
  const adds = Array.isArray(amounts) ? (amounts as readonly number[]) : amountList(amounts as Amounts);
  const out: PlannedCheck[] = [];
  for (const budget of budgets) {
    let scope: string | undefined;
    let index: string | undefined;
    const windows = budget.windows;
    for (let wi = 0; wi < windows.length; wi++) {
      const w = windows[wi]!;
      let adding = false;
      for (const q of w.limited) if (adds[q]! > 0) adding = true;
      if (!adding) continue;
      scope ??= budget.scope(caller);
      index ??= budget.keys.index(prefix);
      const windowMs = w.windowMs;
      const bucket = Math.floor(nowMs / windowMs);
      const elapsed = nowMs - bucket * windowMs;
      const keys = budget.keys.counters(prefix, scope, wi, windowMs, bucket);
      out.push({
        budget,
        windowMs,
        resetSeconds: Math.max(1, Math.ceil((windowMs - elapsed) / 1000)),
        window: w,
        check: { current: keys.current, previous: keys.previous, index, scope, prevWeight: 1 - elapsed / windowMs, ttlMs: 2 * windowMs + 1000, limits: w.limits, amounts: adds },
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

/** The standings of the planned checks of `budget` (all of them when it is undefined). */
export function standings(planned: readonly PlannedCheck[], result: ConsumeResult, budget?: CompiledBudget): WindowStanding[] {
  const out: WindowStanding[] = [];
  for (let i = 0; i < planned.length; i++) {
    const p = planned[i]!;
    if (budget !== undefined && p.budget !== budget) continue;
    for (const j of p.window.limited) {
      const limit = p.check.limits[j]!;
      const used = result.used[i * 5 + j] ?? 0;
      const after = result.refused < 0 ? used + p.check.amounts[j]! : used;
      out.push({ budget: p.budget.config.name, windowMs: p.windowMs, quantity: BUDGET_QUANTITIES[j]!, limit, remaining: Math.max(0, Math.floor(limit - after)), resetSeconds: p.resetSeconds });
    }
  }
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
  let bestShare = Infinity;
  for (const w of windows) {
    if (w.quantity !== 'requests') continue;
    const share = w.limit === 0 ? 0 : w.remaining / w.limit;
    if (share < bestShare || (share === bestShare && best !== undefined && w.resetSeconds < best.resetSeconds)) {
      best = w;
      bestShare = share;
    }
  }
  if (!best) return {};
  return {
    'x-ratelimit-limit': String(best.limit),
    'x-ratelimit-remaining': String(best.remaining),
    'x-ratelimit-reset': String(best.resetSeconds),
    'x-ratelimit-period': String(best.windowMs / 1000),
    'x-ratelimit-name': best.budget,
  };
}
