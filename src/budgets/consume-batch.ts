import type { ConsumeResult, CounterCheck } from './store.js';
import { CounterStoreUnavailable, QUANTITY_COUNT } from './store.js';

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

  /**
   * The batch as CONSUME_LUA reads it: each distinct key, scope and counter field once, the window
   * settings once per distinct (limits, amounts, prevWeight, ttl), each decision shape once and the
   * decisions as runs of shapes, the numbers packed in strings.
   */
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
    /** (key, quantity) → slot, 1-based; slotOf[i * 2 + j]: the slots of check i's limited quantity j (current, previous). */
    const slotAt = new Map<number, number>();
    let slots = '';
    let slotCount = 0;
    const slot = (k: string, q: number) => {
      const id = key(k) * 8 + q;
      let i = slotAt.get(id);
      if (i === undefined) {
        slotAt.set(id, (i = ++slotCount));
        slots += ` ${keyAt.get(k)!} ${q + 1}`;
      }
      return i;
    };
    // limits array → amounts array → prevWeight → ttl → spec number (the arrays are shared per window and per call kind)
    const specAt = new Map<readonly number[], Map<readonly number[], Map<number, Map<number, number>>>>();
    let specs = '';
    let specCount = 0;
    const spec = (c: CounterCheck) => {
      let byAmounts = specAt.get(c.limits);
      if (!byAmounts) specAt.set(c.limits, (byAmounts = new Map()));
      let byWeight = byAmounts.get(c.amounts);
      if (!byWeight) byAmounts.set(c.amounts, (byWeight = new Map()));
      let byTtl = byWeight.get(c.prevWeight);
      if (!byTtl) byWeight.set(c.prevWeight, (byTtl = new Map()));
      let i = byTtl.get(c.ttlMs);
      if (i === undefined) {
        byTtl.set(c.ttlMs, (i = ++specCount));
        let limited = 0;
        let triples = '';
        for (let q = 0; q < QUANTITY_COUNT; q++) {
          if (c.limits[q]! < 0) continue;
          limited++;
          triples += ` ${q + 1} ${c.limits[q]!} ${c.amounts[q]!}`;
        }
        specs += ` ${c.prevWeight} ${c.ttlMs} ${limited}${triples}`;
      }
      return i;
    };
    const args: string[] = [String(now), '', '', '', ''];
    const scopeAt = new Map<string, number>();
    /** A decision's checks as the script reads them → shape number and the slots it draws on. */
    const shapeAt = new Map<string, { readonly n: number; readonly slots: readonly number[] }>();
    let shapes = '';
    /** Per decision, per check, per limited quantity: [current slot, previous slot]. */
    const slotsOf: (readonly number[])[] = [];
    let runs = '';
    let runCount = 0;
    let lastShape = 0;
    let runLength = 0;
    for (const p of part) {
      let text = String(p.checks.length);
      const mine: number[] = [];
      for (const c of p.checks) {
        let scope = 0;
        if (!fresh(c, p.nowMs)) {
          scope = scopeAt.get(c.scope) ?? 0;
          if (scope === 0) scopeAt.set(c.scope, (scope = args.push(c.scope)));
        }
        text += ` ${spec(c)} ${key(c.index)} ${scope}`;
        for (let q = 0; q < QUANTITY_COUNT; q++) {
          if (c.limits[q]! < 0) continue;
          const cur = slot(c.current, q);
          const prev = slot(c.previous, q);
          mine.push(cur, prev);
          text += ` ${cur} ${prev}`;
        }
      }
      let shape = shapeAt.get(text);
      if (!shape) {
        shapeAt.set(text, (shape = { n: shapeAt.size + 1, slots: mine }));
        shapes += ` ${text}`;
      }
      slotsOf.push(shape.slots);
      if (shape.n === lastShape) runLength++;
      else {
        if (runLength > 0) runs += ` ${lastShape} ${runLength}`;
        runCount++;
        lastShape = shape.n;
        runLength = 1;
      }
    }
    runs += ` ${lastShape} ${runLength}`;
    args[1] = `${slotCount}${slots}`;
    args[2] = `${specCount}${specs}`;
    args[3] = `${shapeAt.size}${shapes}`;
    args[4] = `${runCount}${runs}`;
    run(keys, args).then(
      (answer) => {
        try {
          replay(part, slotsOf, slotCount, answer);
        } catch (e) {
          // A malformed answer fails the decisions it did not settle (a settled promise ignores the rest).
          for (const p of part) p.reject(e instanceof CounterStoreUnavailable ? e : new CounterStoreUnavailable());
        }
      },
      (e: unknown) => {
        for (const p of part) p.reject(e);
      },
    );
  }

  /** Each decision's result from the script's answer: its refusal, and the sliding use replayed from the slots' values before the batch. */
  function replay(part: readonly Pending[], slotsOf: readonly (readonly number[])[], slotCount: number, answer: string): void {
    const out = answer.split(' ');
    if (out.length !== part.length + slotCount) throw new CounterStoreUnavailable();
    // Slot values before the batch, then replayed decision by decision as the script ran them.
    const val = new Array<number>(slotCount + 1);
    for (let s = 1; s <= slotCount; s++) val[s] = Number(out[part.length + s - 1]);
    for (let d = 0; d < part.length; d++) {
      const p = part[d]!;
      const refused = Number(out[d]);
      const mine = slotsOf[d]!;
      const used = new Array<number>(p.checks.length * QUANTITY_COUNT).fill(0);
      let m = 0;
      for (let i = 0; i < p.checks.length; i++) {
        const c = p.checks[i]!;
        for (let q = 0; q < QUANTITY_COUNT; q++) {
          if (c.limits[q]! < 0) continue;
          used[i * QUANTITY_COUNT + q] = val[mine[m]!]! + val[mine[m + 1]!]! * c.prevWeight;
          m += 2;
        }
      }
      if (refused < 0) {
        m = 0;
        for (const c of p.checks) {
          for (let q = 0; q < QUANTITY_COUNT; q++) {
            if (c.limits[q]! < 0) continue;
            if (c.amounts[q]! > 0) val[mine[m]!] = val[mine[m]!]! + c.amounts[q]!;
            m += 2;
          }
        }
        noteTouched(p);
      }
      p.resolve({ refused, used });
    }
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
