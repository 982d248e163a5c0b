import { BUDGET_QUANTITIES, type BudgetConfig } from '../config/sections/budgets.js';
import { compileNameGlob } from '../policy/path-glob.js';
import { createCounterKeyCache, type CounterKeyCache } from './keys.js';

/** What a budget is matched on: the verified identity and the checked call (pure). */
export interface BudgetCaller {
  readonly issuer: string;
  readonly subject: string;
  readonly groups: readonly string[];
  readonly connection: string;
  readonly operationClass: string;
}

/** One window of a budget, worked out once per config snapshot instead of once per decision. */
export interface CompiledWindow {
  readonly windowMs: number;
  /** `60s`: the gauge label and error body's window. */
  readonly label: string;
  /** Per quantity (BUDGET_QUANTITIES order), -1 when the window does not limit it. Frozen, shared by every decision. */
  readonly limits: readonly number[];
  /** Indexes of the quantities the window limits. */
  readonly limited: readonly number[];
  /** X-RateLimit-Limit / -Period values of the requests limit (when it has one). */
  readonly requestsLimitText: string;
  readonly periodText: string;
}

export interface CompiledBudget {
  readonly config: BudgetConfig;
  readonly windows: readonly CompiledWindow[];
  /** Counter key names per scope and window, reused while the bucket lasts (keys.ts). */
  readonly keys: CounterKeyCache;
  matches(caller: BudgetCaller): boolean;
  /** The counter key part of a caller: one per agent (issuer + subject) or one per connection. */
  scope(caller: BudgetCaller): string;
  /** What status and gauges show for a scope: the subject, or the connection name. */
  label(caller: BudgetCaller): string;
}

export function compileBudget(config: BudgetConfig): CompiledBudget {
  const m = config.match;
  const subject = m.subject === undefined ? null : m.subject.includes('*') ? compileNameGlob(m.subject) : m.subject;
  const connections = m.connection === undefined ? null : new Set([m.connection].flat());
  const classes = m.class === undefined ? null : new Set<string>([m.class].flat());
  const groups = m.groups ?? null;
  const windows = config.limits.map((w): CompiledWindow => {
    const limits = Object.freeze(BUDGET_QUANTITIES.map((q) => w[q] ?? -1));
    return Object.freeze({
      windowMs: w.window,
      label: `${w.window / 1000}s`,
      limits,
      limited: Object.freeze(limits.flatMap((l, i) => (l >= 0 ? [i] : []))),
      requestsLimitText: String(limits[0]),
      periodText: String(w.window / 1000),
    });
  });
  return {
    config,
    windows: Object.freeze(windows),
    keys: createCounterKeyCache(config.name),
    matches(c) {
      if (m.issuer !== undefined && c.issuer !== m.issuer) return false;
      if (subject !== null && (typeof subject === 'string' ? c.subject !== subject : !subject.test(c.subject))) return false;
      if (groups !== null && !groups.some((g) => c.groups.includes(g))) return false;
      if (connections !== null && !connections.has(c.connection)) return false;
      if (classes !== null && !classes.has(c.operationClass)) return false;
      return true;
    },
    // The issuer is part of an agent's scope: one subject name at two issuers is two agents.
    scope: (c) => (config.per === 'connection' ? `c:${c.connection}` : `a:${c.issuer}#${c.subject}`),
    label: (c) => (config.per === 'connection' ? c.connection : c.subject),
  };
}

/** Compiled once per config snapshot (the snapshot is frozen, so its array is a stable cache key). */
const cache = new WeakMap<readonly BudgetConfig[], readonly CompiledBudget[]>();

export function compiledBudgets(budgets: readonly BudgetConfig[]): readonly CompiledBudget[] {
  let compiled = cache.get(budgets);
  if (!compiled) {
    compiled = Object.freeze(budgets.map(compileBudget));
    cache.set(budgets, compiled);
  }
  return compiled;
}

export function budgetsFor(budgets: readonly BudgetConfig[], caller: BudgetCaller): CompiledBudget[] {
  return compiledBudgets(budgets).filter((b) => b.matches(caller));
}
