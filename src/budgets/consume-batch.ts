import type { ConsumeResult, CounterCheck } from './store.js';
import { QUANTITY_COUNT } from './store.js';

/** Runs CONSUME_LUA: keys and args as the script reads them (src/budgets/lua.ts); its answer is one string. */
export type ConsumeRunner = (keys: string[], args: string[]) => Promise<string>;

/** Decisions per script call at most: bounds one call's argument list and the time Redis is busy with it. */
export const MAX_BATCH = 128;
/** A scope's entry in the budget's index (what `budgets status` lists) is refreshed at most this often. */
export const INDEX_TOUCH_MS = 1_000;
const TOUCHED_CAP = 50_000;

interface Pending {
  readonly checks: readonly CounterCheck[];
  readonly nowMs: number;
  readonly resolve: (r: ConsumeResult) => void;
  readonly reject: (e: unknown) => void;
}

/**
 * Coalesces the decisions of one event-loop turn into one script call: under load, one round trip
 * and one script run carry many Checks instead of one each, and a quiet gate waits only for the
 * end of the current turn (setImmediate). Each decision is still all-or-nothing in the script.
 */
export function createConsumeBatcher(run: ConsumeRunner) {
  let queue: Pending[] = [];
  let scheduled = false;

  /** index key → scope → when an accepted decision last refreshed that entry. */
  const touched = new Map<string, Map<string, number>>();
  let touchedSize = 0;

  /** True when this scope's index entry was refreshed within INDEX_TOUCH_MS (the script skips it). */
  function fresh(c: CounterCheck, now: number): boolean {
    const last = touched.get(c.index)?.get(c.scope);
    return last !== undefined && now - last < INDEX_TOUCH_MS;
  }
  /** Only an accepted decision refreshes the index (a refused one leaves everything as it was). */
  function noteTouched(p: Pending): void {
    if (touchedSize >= TOUCHED_CAP) {
      touched.clear();
      touchedSize = 0;
    }
    for (const c of p.checks) {
      if (fresh(c, p.nowMs)) continue;
      let scopes = touched.get(c.index);
      if (!scopes) touched.set(c.index, (scopes = new Map()));
      if (!scopes.has(c.scope)) touchedSize++;
      scopes.set(c.scope, p.nowMs);
    }
  }

  function flush(): void {
    scheduled = false;
    const all = queue;
    queue = [];
    for (let i = 0; i < all.length; i += MAX_BATCH) send(all.slice(i, i + MAX_BATCH));
  }

  /** The batch as CONSUME_LUA reads it: each distinct key and scope once, the numbers packed in one string. */
  function send(part: Pending[]): void {
    let now = 0;
    for (const p of part) if (p.nowMs > now) now = p.nowMs;
    const keys: string[] = [];
    const keyAt = new Map<string, number>();
    const key = (k: string) => {
      let i = keyAt.get(k);
      if (i === undefined) keyAt.set(k, (i = keys.push(k)));
      return i;
    };
    const args: string[] = [String(now), ''];
    const scopeAt = new Map<string, number>();
    let packed = String(part.length);
    for (const p of part) {
      packed += ` ${p.checks.length}`;
      for (const c of p.checks) {
        let scope = 0;
        if (!fresh(c, p.nowMs)) {
          scope = scopeAt.get(c.scope) ?? 0;
          if (scope === 0) scopeAt.set(c.scope, (scope = args.push(c.scope)));
        }
        let limited = 0;
        let triples = '';
        for (let q = 0; q < QUANTITY_COUNT; q++) {
          const limit = c.limits[q]!;
          if (limit < 0) continue;
          limited++;
          triples += ` ${q + 1} ${limit} ${c.amounts[q]!}`;
        }
        packed += ` ${key(c.current)} ${key(c.previous)} ${key(c.index)} ${c.prevWeight} ${c.ttlMs} ${scope} ${limited}${triples}`;
      }
    }
    args[1] = packed;
    run(keys, args).then(
      (answer) => {
        const out = answer.split(' ');
        let o = 0;
        for (const p of part) {
          const refused = Number(out[o++]);
          const used = new Array<number>(p.checks.length * QUANTITY_COUNT).fill(0);
          for (let i = 0; i < p.checks.length; i++) {
            const limits = p.checks[i]!.limits;
            for (let q = 0; q < QUANTITY_COUNT; q++) if (limits[q]! >= 0) used[i * QUANTITY_COUNT + q] = Number(out[o++]);
          }
          if (refused < 0) noteTouched(p);
          p.resolve({ refused, used });
        }
      },
      (e: unknown) => {
        for (const p of part) p.reject(e);
      },
    );
  }

  return {
    /** Same contract as CounterStore.consume. */
    consume(checks: readonly CounterCheck[], nowMs: number): Promise<ConsumeResult> {
      return new Promise<ConsumeResult>((resolve, reject) => {
        queue.push({ checks, nowMs, resolve, reject });
        if (!scheduled) {
          scheduled = true;
          setImmediate(flush);
        }
      });
    },
  };
}
