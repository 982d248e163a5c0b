import { z } from 'zod';
import { duration } from '../duration.js';

/**
 * `budgets[]` and `budget_store`: per-identity limits decided before anything is forwarded, and the
 * custom-metric cardinality guard. Counting lives in src/budgets/; this file is only their shape.
 */

const OPERATION_CLASSES = ['telemetry-write', 'read', 'config-change', 'destructive', 'credential-admin', 'unknown'] as const;
const nonEmpty = z.string().min(1);
const count = z.number().int().min(0);

/** The quantities a window can limit, in the order the counters store them. */
export const BUDGET_QUANTITIES = ['requests', 'request_bytes', 'log_events', 'metric_points', 'events'] as const;
export type BudgetQuantity = (typeof BUDGET_QUANTITIES)[number];

/** Windows are whole seconds from 1 s to 7 d: the bucket arithmetic and X-RateLimit-Period are in seconds. */
const windowDuration = duration().refine((ms) => ms >= 1_000 && ms <= 7 * 86_400_000 && ms % 1_000 === 0, 'a budget window is a whole number of seconds between 1s and 7d');

const budgetWindow = z
  .object({
    /** Length of the sliding window, e.g. "1s", "1m", "1d". */
    window: windowDuration,
    /** Calls (counted by ext_authz, before the body). */
    requests: count.optional(),
    /** Request body bytes once decompressed (ext_proc). */
    request_bytes: count.optional(),
    /** Entries in logs intake batches (ext_proc). */
    log_events: count.optional(),
    /** Points in v1/v2 series and distribution point submissions (ext_proc). */
    metric_points: count.optional(),
    /** Events posted to the v1 events API or the v2 events intake (ext_proc). */
    events: count.optional(),
  })
  .strict()
  .refine((w) => BUDGET_QUANTITIES.some((q) => w[q] !== undefined), 'a budget window limits at least one of requests, request_bytes, log_events, metric_points, events');

const budgetMatch = z
  .object({
    /** Exact subject, or a glob with `*`. */
    subject: nonEmpty.optional(),
    /** Matches when the identity has at least one of these groups. */
    groups: z.array(nonEmpty).optional(),
    /** The token issuer (exact URL). */
    issuer: nonEmpty.optional(),
    connection: z.union([nonEmpty, z.array(nonEmpty)]).optional(),
    class: z.union([z.enum(OPERATION_CLASSES), z.array(z.enum(OPERATION_CLASSES))], { error: () => `an operation class: one of ${OPERATION_CLASSES.join(', ')}` }).optional(),
  })
  .strict();

/** Exact series sets are kept per scope: their size is bounded by `max`, so `max` is bounded too. */
export const MAX_SERIES_BUDGET = 100_000;

const seriesGuard = z
  .object({
    /** Distinct series (metric name + sorted tags + host/resources) per rolling hour. */
    max: z.number().int().min(1).max(MAX_SERIES_BUDGET, `series.max is at most ${MAX_SERIES_BUDGET} (exact sets are kept below it)`),
    /** Past max: refuse the batch (429 cardinality_exceeded) or forward it without the new series. */
    mode: z.enum(['refuse', 'drop']).default('refuse'),
  })
  .strict();

const budgetSchema = z
  .object({
    /** Named in X-RateLimit-Name, error bodies, metrics and `keyward budgets status`. */
    name: z.string().regex(/^[a-z0-9][a-z0-9_.-]*$/, 'lower-case letters, digits, ".", "_" and "-"'),
    match: budgetMatch.prefault({}),
    /** Whose counter a call draws on: each agent (issuer + subject) its own, or one per connection for all agents on it. */
    per: z.enum(['agent', 'connection']).default('agent'),
    limits: z.array(budgetWindow).default([]),
    /** The custom-metric cardinality guard for metric submissions this budget matches. */
    series: seriesGuard.optional(),
  })
  .strict()
  .refine((b) => b.limits.length > 0 || b.series !== undefined, { message: 'a budget needs limits or a series guard', path: ['limits'] });

export const budgetsSection = z.array(budgetSchema).default([]);

export const budgetStoreSection = z
  .object({
    /** `redis://host:port/db`; absent → counters in this replica's memory (they do not hold across replicas). */
    redis_url: z.string().regex(/^rediss?:\/\/[^\s]+$/, 'a redis:// or rediss:// URL').optional(),
    /** Prefix of every key keyward writes in Redis. */
    key_prefix: z.string().regex(/^[A-Za-z0-9:_.-]*$/, 'letters, digits, ":", "_", "." and "-"').default('keyward:'),
    /** Timeout of one Redis round trip (and of connecting); past it the decision is budget_unavailable. */
    timeout: duration().prefault('250ms'),
    /** Redis unreachable: refuse with budget_unavailable (false, the default) or let calls through uncounted (true). */
    fail_open: z.boolean().default(false),
  })
  .strict();

export type BudgetConfig = z.output<typeof budgetSchema>;
export type BudgetWindow = BudgetConfig['limits'][number];
export type BudgetStoreConfig = z.output<typeof budgetStoreSection>;

/** Cross-field checks run by the config schema's superRefine: unique names, known connections. */
export function budgetIssues(budgets: readonly BudgetConfig[], connections: ReadonlySet<string>): { message: string; path: (string | number)[] }[] {
  const issues: { message: string; path: (string | number)[] }[] = [];
  const names = new Set<string>();
  budgets.forEach((b, i) => {
    if (names.has(b.name)) issues.push({ message: `duplicate budget name "${b.name}"`, path: ['budgets', i, 'name'] });
    names.add(b.name);
    for (const c of b.match.connection === undefined ? [] : [b.match.connection].flat()) {
      if (!connections.has(c)) issues.push({ message: `budget matches unknown connection "${c}"`, path: ['budgets', i, 'match', 'connection'] });
    }
    const windows = new Set<number>();
    b.limits.forEach((w, j) => {
      if (windows.has(w.window)) issues.push({ message: 'two limits of one budget with the same window: merge them', path: ['budgets', i, 'limits', j, 'window'] });
      windows.add(w.window);
    });
  });
  return issues;
}
