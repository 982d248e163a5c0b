import { BUDGET_QUANTITIES } from '../config/sections/budgets.js';
import type { ConsumeResult, CounterStore, SeriesResult, SeriesVerdict } from './store.js';

/**
 * Counters in this replica's memory: the demo and a single replica. They do not hold across
 * replicas (each would grant the whole budget) and are lost on restart. Same semantics as the Redis
 * scripts; the HyperLogLogs are exact sets here.
 */
export function createMemoryStore(clock: () => number = Date.now): CounterStore {
  const hashes = new Map<string, { fields: Map<string, number>; expires: number }>();
  const sets = new Map<string, { members: Set<string>; expires: number }>();
  const zsets = new Map<string, Map<string, number>>();

  const live = <T extends { expires: number }>(m: Map<string, T>, key: string, now = clock()): T | undefined => {
    const v = m.get(key);
    if (v && v.expires <= now) {
      m.delete(key);
      return undefined;
    }
    return v;
  };
  const hash = (key: string, ttl: number, now = clock()) => {
    let h = live(hashes, key, now);
    if (!h) hashes.set(key, (h = { fields: new Map(), expires: 0 }));
    h.expires = now + ttl;
    return h.fields;
  };
  const set = (key: string, ttl: number) => {
    let s = live(sets, key);
    if (!s) sets.set(key, (s = { members: new Set(), expires: 0 }));
    s.expires = clock() + ttl;
    return s.members;
  };
  const zadd = (key: string, member: string, score: number) => {
    let z = zsets.get(key);
    if (!z) zsets.set(key, (z = new Map()));
    z.set(member, score);
  };
  let sweptAt = 0;
  const sweep = () => {
    const now = clock();
    if (now - sweptAt < 60_000) return;
    sweptAt = now;
    for (const m of [hashes, sets] as Map<string, { expires: number }>[]) for (const [k, v] of m) if (v.expires <= now) m.delete(k);
  };

  return {
    kind: 'memory',
    async consume(checks, nowMs): Promise<ConsumeResult> {
      sweep();
      const now = clock();
      const used: number[] = [];
      let refused = -1;
      for (let i = 0; i < checks.length; i++) {
        const c = checks[i]!;
        const cur = live(hashes, c.current, now)?.fields;
        const prev = live(hashes, c.previous, now)?.fields;
        for (let j = 0; j < BUDGET_QUANTITIES.length; j++) {
          const q = BUDGET_QUANTITIES[j]!;
          const limit = c.limits[j]!;
          const u = limit < 0 ? 0 : (cur?.get(q) ?? 0) + (prev?.get(q) ?? 0) * c.prevWeight;
          used.push(u);
          if (refused < 0 && limit >= 0 && c.amounts[j]! > 0 && u + c.amounts[j]! > limit) refused = i * 5 + j;
        }
      }
      if (refused < 0) {
        for (const c of checks) {
          const h = hash(c.current, c.ttlMs, now);
          for (let j = 0; j < BUDGET_QUANTITIES.length; j++) {
            const amount = c.amounts[j]!;
            if (amount > 0 && c.limits[j]! >= 0) h.set(BUDGET_QUANTITIES[j]!, (h.get(BUDGET_QUANTITIES[j]!) ?? 0) + amount);
          }
          zadd(c.index, c.scope, nowMs);
        }
      }
      return { refused, used };
    },
    async series(check, nowMs): Promise<SeriesResult> {
      const slots = check.sets.map((k) => live(sets, k)?.members);
      const union = new Set<string>();
      for (const s of slots) if (s) for (const m of s) union.add(m);
      const before = union.size;
      const decided = new Map<string, SeriesVerdict>();
      let accepted = 0;
      let over = false;
      const verdicts = check.ids.map((id) => {
        let v = decided.get(id);
        if (v === undefined) {
          if (union.has(id)) v = 0;
          else if (before + accepted < check.max) [v, accepted] = [1, accepted + 1];
          else [v, over] = [2, true];
          decided.set(id, v);
        }
        return v;
      });
      if (!(over && check.mode === 'refuse')) {
        const current = set(check.sets[0]!, check.ttlMs);
        const hll = set(check.hlls[0]!, check.ttlMs);
        for (const [id, v] of decided) if (v !== 2) [current.add(id), hll.add(id)];
        zadd(check.index, check.scope, nowMs);
      }
      return { before, verdicts };
    },
    async noteNewSeries(key, counts, distinct, ttlMs) {
      const h = hash(key, ttlMs);
      for (const [f, n] of counts) h.set(f, (h.get(f) ?? 0) + n);
      for (const [k, values] of distinct) {
        const s = set(k, ttlMs);
        for (const v of values) s.add(v);
      }
    },
    async scopes(index, sinceMs) {
      return [...(zsets.get(index) ?? new Map<string, number>())].filter(([, t]) => t >= sinceMs).map(([m]) => m);
    },
    async hashes(keys) {
      return keys.map((k) => Object.fromEntries([...(live(hashes, k)?.fields ?? new Map<string, number>())].map(([f, n]) => [f, String(n)])));
    },
    async distinct(keys) {
      const union = new Set<string>();
      for (const k of keys) for (const m of live(sets, k)?.members ?? []) union.add(m);
      return union.size;
    },
    ping: async () => true,
    close: async () => undefined,
  };
}
