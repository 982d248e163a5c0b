import type { ConsumeResult, CounterCheck } from './store.js';
import { QUANTITY_COUNT } from './store.js';

/** Runs CONSUME_LUA: keys and args as the script reads them (src/budgets/lua.ts). */
export type ConsumeRunner = (keys: string[], args: (string | number)[]) => Promise<(number | string)[]>;

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
  const touched = new Map<string, number>();

  const touchKey = (c: CounterCheck) => `${c.index}\u0000${c.scope}`;
  /** '' when this scope's index entry was refreshed within INDEX_TOUCH_MS (the script skips it). */
  function indexScope(c: CounterCheck, now: number): string {
    const last = touched.get(touchKey(c));
    return last !== undefined && now - last < INDEX_TOUCH_MS ? '' : c.scope;
  }
  /** Only an accepted decision refreshes the index (a refused one leaves everything as it was). */
  function noteTouched(p: Pending): void {
    if (touched.size >= TOUCHED_CAP) touched.clear();
    for (const c of p.checks) if (indexScope(c, p.nowMs) !== '') touched.set(touchKey(c), p.nowMs);
  }

  function flush(): void {
    scheduled = false;
    while (queue.length > 0) {
      const part = queue.slice(0, MAX_BATCH);
      queue = queue.slice(MAX_BATCH);
      send(part);
    }
  }

  function send(part: Pending[]): void {
    const now = Math.max(...part.map((p) => p.nowMs));
    const keys: string[] = [];
    const args: (string | number)[] = [now, part.length];
    for (const p of part) {
      args.push(p.checks.length);
      for (const c of p.checks) {
        keys.push(c.current, c.previous, c.index);
        const limited: number[] = [];
        for (let q = 0; q < QUANTITY_COUNT; q++) if (c.limits[q]! >= 0) limited.push(q);
        args.push(c.prevWeight, c.ttlMs, indexScope(c, p.nowMs), limited.length);
        for (const q of limited) args.push(q + 1, c.limits[q]!, c.amounts[q]!);
      }
    }
    run(keys, args).then(
      (out) => {
        let o = 0;
        for (const p of part) {
          const refused = Number(out[o++]);
          const used = new Array<number>(p.checks.length * QUANTITY_COUNT).fill(0);
          p.checks.forEach((c, i) => {
            for (let q = 0; q < QUANTITY_COUNT; q++) if (c.limits[q]! >= 0) used[i * QUANTITY_COUNT + q] = Number(out[o++]);
          });
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
