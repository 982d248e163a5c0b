import type { Logger } from 'pino';
import type { FindingSummary } from '../audit/events.js';
import type { KeywardConfig } from '../config/load.js';
import { KeywardError, type RefusalExtras } from '../errors.js';
import type { BodyCodec, DecodedBody } from '../mask/codecs.js';
import { allowedHeaders, exceededExtras, ONE_REQUEST, planChecks, rateLimitHeaders, standings, type Amounts, type WindowStanding } from './evaluate.js';
import type { BudgetGauges } from './gauges.js';
import { budgetKeys, hourOf, seriesKeyset } from './keys.js';
import { budgetsFor, type BudgetCaller, type CompiledBudget } from './match.js';
import { measurePayload, payloadKind, readsAsJson, type PayloadMeasure, type SeriesRef } from './payload.js';
import { unpackSeries, type WalkedSubmission } from './series-walk.js';
import { dropSeries } from './series-drop.js';
import { CounterStoreUnavailable, type CounterStore } from './store.js';
import { SERIES_SLOT_MS, SERIES_TTL_MS } from './windows.js';

export interface BudgetGuardDeps {
  readonly store: CounterStore;
  readonly log: Logger;
  readonly gauges?: BudgetGauges;
  readonly now?: () => number;
}

/** What the body phase hands on: a rewritten body (drop mode) and findings for the audit row. */
export interface BodyVerdict {
  /** Replacement wire bytes (re-encoded with the body's own encoding), or null to forward as received. */
  readonly body: Buffer | null;
  readonly findings: readonly FindingSummary[];
}

/** A metric submission's weight as its masking pass read it (readsFromMasking). */
export interface MaskingReading {
  readonly decodedBytes: number;
  readonly submission: WalkedSubmission;
}

const UNCHANGED: BodyVerdict = Object.freeze({ body: null, findings: [] });

/**
 * Budgets as two hooks: one in the Check (requests, decided before the body) and one in ext_proc's
 * request body phase (bytes, log events, metric points, events, distinct series). Each is one store
 * round trip per decision. A refusal is a KeywardError the caller turns into its usual answer.
 */
export function createBudgetGuard(deps: BudgetGuardDeps) {
  const now = deps.now ?? Date.now;
  const { store } = deps;

  /** Store failure → budget_unavailable, unless the config says fail open (then: uncounted, logged). */
  function orUnavailable<T>(config: KeywardConfig, pending: Promise<T>, open: T): Promise<T> {
    return pending.catch((e: unknown) => {
      if (!(e instanceof CounterStoreUnavailable)) throw e;
      if (config.budget_store.fail_open) {
        deps.log.warn({ code: 'budget_unavailable', fail_open: true }, 'budget counters unavailable: call let through uncounted (fail_open)');
        return open;
      }
      throw new KeywardError('budget_unavailable', 'counter store unreachable', { headers: { 'retry-after': '1' } });
    });
  }

  /** Counts the call; returns the standing of every window it drew on (none when uncounted). */
  async function consume(config: KeywardConfig, matched: readonly CompiledBudget[], caller: BudgetCaller, amounts: Amounts | readonly number[]): Promise<readonly WindowStanding[]> {
    const at = now();
    const planned = planChecks(matched, caller, amounts, config.budget_store.key_prefix, at);
    if (planned.length === 0) return [];
    const checks = planned.map((p) => p.check);
    const result = await orUnavailable(config, store.consume(checks, at), null);
    if (!result) return [];
    const all = standings(planned, result);
    if (deps.gauges) {
      if (matched.length === 1) deps.gauges.record(matched[0]!.label(caller), all);
      else for (const b of matched) deps.gauges.record(b.label(caller), standings(planned, result, b));
    }
    if (result.refused >= 0) throw new KeywardError('budget_exceeded', `budget ${planned[Math.floor(result.refused / 5)]!.budget.config.name}`, exceededExtras(planned, result));
    return all;
  }

  return {
    /** ext_authz: counts the call against every matching budget's request limits; the X-RateLimit headers of the tightest window, or {} when no budget counted it. */
    async checkRequest(config: KeywardConfig, caller: BudgetCaller): Promise<Record<string, string>> {
      if (config.budgets.length === 0) return {};
      const matched = budgetsFor(config.budgets, caller);
      if (matched.length === 0) return {};
      return allowedHeaders(await consume(config, matched, caller, ONE_REQUEST));
    },

    /** ext_proc request headers: whether the body must be buffered for a budget to weigh it. */
    needsBody(config: KeywardConfig, caller: BudgetCaller, method: string, path: string): boolean {
      if (config.budgets.length === 0) return false;
      const kind = payloadKind(method, path);
      return budgetsFor(config.budgets, caller).some(
        (b) => (b.config.series !== undefined && kind === 'metrics') || b.config.limits.some((w) => w.request_bytes !== undefined || (kind !== 'other' && (w.log_events ?? w.metric_points ?? w.events) !== undefined)),
      );
    },

    /**
     * Whether a body's weight can come out of its masking pass (src/budgets/series-walk.ts): a metric
     * submission read as JSON, as measurePayload reads it. The processor then masks first and hands
     * the reading to checkBody.
     */
    readsFromMasking(method: string, path: string, contentType: string | undefined): boolean {
      return payloadKind(method, path) === 'metrics' && readsAsJson(contentType);
    },

    /**
     * ext_proc request body: bytes, entries, points, events, then the series guard. `read`: what the
     * masking pass already read of this body. `redact` masks a metric name before it is named in a
     * finding (findings reach the audit row, which never holds a value unmasked).
     */
    async checkBody(config: KeywardConfig, caller: BudgetCaller, req: { method: string; path: string; contentType: string | undefined; encoding: string | undefined; raw: Buffer }, codec: BodyCodec, read?: MaskingReading, redact: (text: string) => string = (text) => text): Promise<BodyVerdict> {
      if (config.budgets.length === 0 || req.raw.length === 0) return UNCHANGED;
      const matched = budgetsFor(config.budgets, caller);
      if (matched.length === 0) return UNCHANGED;
      // The body is decoded here only when the masking pass has not read it (and below, to drop series).
      let decoded: DecodedBody | null = null;
      let measure: PayloadMeasure;
      let bytes: number;
      if (read !== undefined) {
        measure = { logEvents: 0, events: 0, metricPoints: read.submission.metricPoints, series: unpackSeries(read.submission) };
        bytes = read.decodedBytes;
      } else {
        decoded = await codec.decode(req.raw, req.encoding);
        measure = measurePayload(payloadKind(req.method, req.path), decoded.body, req.contentType);
        bytes = decoded.body.length;
      }
      await consume(config, matched, caller, { request_bytes: bytes, log_events: measure.logEvents, metric_points: measure.metricPoints, events: measure.events });
      if (measure.series === null || measure.series.length === 0) return UNCHANGED;
      const dropped = new Set<number>();
      const findings: FindingSummary[] = [];
      for (const b of matched) {
        if (!b.config.series) continue;
        const refs = measure.series.filter((s) => !dropped.has(s.index));
        const over = await guardSeries(config, b, caller, refs, redact);
        if (over.length === 0) continue;
        for (const s of over) dropped.add(s.index);
        findings.push({ type: 'series_dropped', count: over.length, locations: over.map((s) => `$.series[${s.index}]{metric=${redact(s.metric)}}`) });
      }
      if (dropped.size === 0) return UNCHANGED;
      decoded ??= await codec.decode(req.raw, req.encoding);
      const text = dropSeries(decoded.body.toString('utf8'), dropped);
      return { body: await codec.encode(Buffer.from(text, 'utf8'), decoded.codings), findings };
    },
  };

  /** The series of one budget that go over it: refuse mode throws, drop mode returns them. */
  async function guardSeries(config: KeywardConfig, budget: CompiledBudget, caller: BudgetCaller, refs: readonly SeriesRef[], redact: (text: string) => string): Promise<SeriesRef[]> {
    const guard = budget.config.series!;
    const at = now();
    const scope = budget.scope(caller);
    const keys = seriesKeyset(config.budget_store.key_prefix, budget.config.name, scope, at);
    const result = await orUnavailable(config, store.series({ ...keys, scope, max: guard.max, mode: guard.mode, ttlMs: SERIES_TTL_MS, ids: refs.map((s) => s.id) }, at), null);
    if (!result) return [];
    const fresh = refs.filter((_, i) => result.verdicts[i] !== 0);
    const over = refs.filter((_, i) => result.verdicts[i] === 2);
    const counted = new Set(refs.filter((_, i) => result.verdicts[i] === 1).map((s) => s.id)).size;
    deps.gauges?.recordSeries(budget.label(caller), budget.config.name, guard.max, over.length > 0 && guard.mode === 'refuse' ? result.before : result.before + counted);
    if (fresh.length > 0) noteTop(config, budget.config.name, scope, fresh, at, redact);
    if (over.length === 0) return [];
    if (guard.mode === 'drop') return over;
    const metrics = [...new Set(over.map((s) => s.metric))].sort();
    const resetSeconds = Math.max(1, Math.ceil((SERIES_SLOT_MS - (at % SERIES_SLOT_MS)) / 1000));
    const extras: RefusalExtras = {
      error: { budget: budget.config.name, limit: guard.max, metrics, new_series: new Set(over.map((s) => s.id)).size },
      headers: rateLimitHeaders(budget.config.name, guard.max, Math.max(0, guard.max - result.before), resetSeconds, 3600),
    };
    throw new KeywardError('cardinality_exceeded', `budget ${budget.config.name}`, extras);
  }

  /** `budgets top` bookkeeping: new series per metric, distinct values per metric and tag key. Best effort, not awaited. */
  /** Metric names and tag keys are stored masked (`redact`, once per distinct text): `budgets top` shows them to operators. */
  function noteTop(config: KeywardConfig, budget: string, scope: string, fresh: readonly SeriesRef[], at: number, redact: (text: string) => string): void {
    const masked = new Map<string, string>();
    const shown = (text: string): string => {
      let m = masked.get(text);
      if (m === undefined) masked.set(text, (m = redact(text)));
      return m;
    };
    const keys = budgetKeys(config.budget_store.key_prefix, budget);
    const hour = hourOf(at);
    const counts = new Map<string, number>();
    const distinct = new Map<string, string[]>();
    const seen = new Set<string>();
    for (const s of fresh) {
      if (seen.has(s.id)) continue;
      seen.add(s.id);
      const metric = shown(s.metric);
      counts.set(`m\u0000${metric}`, (counts.get(`m\u0000${metric}`) ?? 0) + 1);
      for (const tag of s.tags) {
        const i = tag.indexOf(':');
        const field = `t\u0000${metric}\u0000${shown(i < 0 ? tag : tag.slice(0, i))}`;
        counts.set(field, counts.get(field) ?? 0);
        const k = keys.topValues(scope, hour, field);
        const list = distinct.get(k) ?? [];
        list.push(i < 0 ? '' : tag.slice(i + 1));
        distinct.set(k, list);
      }
    }
    store.noteNewSeries(keys.top(scope, hour), counts, distinct, 2 * 3_600_000).catch(() => undefined);
  }
}

export type BudgetGuard = ReturnType<typeof createBudgetGuard>;
