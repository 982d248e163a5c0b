import t from 'tap';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { planChecks } from '../../../src/budgets/evaluate.js';
import { budgetKeys } from '../../../src/budgets/keys.js';
import { compileBudget, type BudgetCaller } from '../../../src/budgets/match.js';
import { createMemoryStore } from '../../../src/budgets/memory-store.js';
import { createRedisStore } from '../../../src/budgets/redis-store.js';
import type { CounterStore } from '../../../src/budgets/store.js';
import { budgetsSection } from '../../../src/config/sections/budgets.js';
import { REDIS_URL, testPrefix } from '../../helpers/redis.js';

const log = pino({ level: 'silent' });
const caller = (subject: string): BudgetCaller => ({ issuer: 'https://issuer.test', subject, groups: ['agents'], connection: 'prod', operationClass: 'write' });
const [fleet] = budgetsSection
  .parse([{ name: 'fleet', match: { groups: ['agents'] }, limits: [{ window: '1h', requests: 5, log_events: 100 }, { window: '1d', requests: 7 }] }])
  .map(compileBudget);

/** The same decisions on both stores, at one frozen time: the Redis script must answer what the memory store answers. */
async function decide(store: CounterStore, prefix: string, at: number) {
  const one = (subject: string, amounts: Record<string, number>) => {
    const planned = planChecks([fleet!], caller(subject), amounts, prefix, at);
    return store.consume(planned.map((p) => p.check), at);
  };
  // Eight concurrent calls of one agent in one event-loop turn: the Redis store sends them as one batch.
  const burst = await Promise.all(Array.from({ length: 8 }, () => one('agent-a', { requests: 1 })));
  // One turn mixing shapes: runs of one agent broken by others, a run that goes over mid-way, and
  // a refusal that leaves room for the next different decision.
  const mixed = await Promise.all(
    (['c', 'c', 'd', 'c', 'c', 'c', 'c', 'd', 'e', 'c'] as const).map((s, i) => one(`agent-${s}`, s === 'e' ? { requests: 1, log_events: i * 10 } : { requests: 1 })),
  );
  // 100 log events fit the hour's 100; the next call of 1 event is over on log_events only.
  const logsFit = await one('agent-b', { log_events: 100 });
  const logsOver = await one('agent-b', { log_events: 1 });
  return { burst, mixed, logsFit, logsOver };
}

t.test('budgets redis store: batched decisions answer exactly what the memory store answers', async (t) => {
  const prefix = testPrefix('store');
  const redis = createRedisStore({ url: REDIS_URL, timeoutMs: 2_000, log });
  t.teardown(() => redis.close());
  const at = Date.UTC(2026, 11, 6, 12, 30, 0);
  const fromRedis = await decide(redis, prefix, at);
  const fromMemory = await decide(createMemoryStore(() => at), prefix, at);
  t.same(fromRedis, fromMemory, 'same refusals and same sliding use per window and quantity');
  t.same(
    fromRedis.burst.map((r) => r.refused),
    [-1, -1, -1, -1, -1, 0, 0, 0],
    'of 8 concurrent calls, exactly the 5 the hour allows pass; the rest are refused on the hour window (check 0, requests)',
  );
  t.same(
    fromRedis.mixed.map((r) => r.refused),
    [-1, -1, -1, -1, -1, -1, 0, -1, -1, 0],
    'interleaved agents: agent-c gets its 5 of the hour across runs, agent-d and agent-e are counted apart',
  );
  t.equal(fromRedis.logsOver.refused, 2, 'log_events of the hour window (check 0, quantity 2)');
  t.same(fromRedis.burst[4]!.used.slice(0, 2), [4, 0], 'the fifth call saw four before it');
});

t.test('budgets redis store: a refused decision increments nothing, a counter gets its TTL, the scope is indexed', async (t) => {
  const prefix = testPrefix('store-atomic');
  const store = createRedisStore({ url: REDIS_URL, timeoutMs: 2_000, log });
  const raw = new Redis(REDIS_URL);
  t.teardown(async () => {
    await store.close();
    raw.disconnect();
  });
  const at = Date.now();
  const planned = planChecks([fleet!], caller('agent-x'), { requests: 6 }, prefix, at);
  t.equal((await store.consume(planned.map((p) => p.check), at)).refused, 0, '6 requests exceed the hour window of 5');
  t.equal(await raw.exists(planned[0]!.check.current, planned[1]!.check.current), 0, 'neither window was incremented');
  const ok = planChecks([fleet!], caller('agent-x'), { requests: 3 }, prefix, at);
  t.equal((await store.consume(ok.map((p) => p.check), at)).refused, -1);
  t.same(await raw.hmget(ok[0]!.check.current, 'requests'), ['3']);
  const ttl = await raw.pttl(ok[1]!.check.current);
  t.ok(ttl > 86_400_000 && ttl <= 2 * 86_400_000 + 1000, `the day counter lives two windows (pttl ${ttl})`);
  t.same(await store.scopes(budgetKeys(prefix, 'fleet').index, at - 1000), [ok[0]!.check.scope], 'budgets status finds the scope');
});

t.test('budgets redis store: a dead Redis rejects every decision of a batch as unavailable', async (t) => {
  const store = createRedisStore({ url: 'redis://127.0.0.1:1', timeoutMs: 100, log });
  t.teardown(() => store.close());
  const at = Date.now();
  const plan = (s: string) => planChecks([fleet!], caller(s), { requests: 1 }, testPrefix('dead'), at).map((p) => p.check);
  const all = await Promise.allSettled([store.consume(plan('a'), at), store.consume(plan('b'), at)]);
  t.same(all.map((r) => r.status), ['rejected', 'rejected']);
  t.same(all.map((r) => (r as PromiseRejectedResult).reason?.name), ['CounterStoreUnavailable', 'CounterStoreUnavailable']);
});
