import t from 'tap';
import { createConsumeBatcher } from '../../../src/budgets/consume-batch.js';
import type { CounterCheck } from '../../../src/budgets/store.js';

// One window's arrays, shared as a compiled window shares them (the batcher tells window settings apart by identity).
const limits = [10, -1, -1, -1, -1];
const amounts = [1, 0, 0, 0, 0];
const check = (scope: string): CounterCheck => ({
  current: `c:${scope}`,
  previous: `p:${scope}`,
  index: 'idx',
  scope,
  prevWeight: 0.5,
  ttlMs: 3_000,
  limits,
  amounts,
});

t.test('budgets batcher: one turn is one script call; shapes once, decisions as runs of shapes', async (t) => {
  const calls: string[][] = [];
  // Two slots per scope (current, previous), all zero before the batch; nothing refused.
  const batch = createConsumeBatcher(async (_keys, args) => {
    calls.push(args);
    const runs = args[4]!.split(' ').map(Number);
    let decisions = 0;
    for (let r = 0; r < runs[0]!; r++) decisions += runs[2 + 2 * r]!;
    const slots = Number(args[1]!.split(' ')[0]);
    return [...Array<string>(decisions).fill('-1'), ...Array<string>(slots).fill('0')].join(' ');
  });
  const scopes = ['a', 'a', 'b', 'a', 'a', 'a'];
  const results = await Promise.all(scopes.map((s) => batch.consume([check(s)], 1_000)));
  t.equal(calls.length, 1, 'one call for the turn');
  t.equal(calls[0]![3]!.split(' ')[0], '2', 'two shapes: agent a and agent b');
  t.equal(calls[0]![4], '3 1 2 2 1 1 3', 'runs: a×2, b×1, a×3');
  t.same(results.map((r) => r.used[0]), [0, 1, 0, 2, 3, 4], 'the sliding use replayed per scope, in order');
});

t.test('budgets batcher: a failed call or a malformed answer fails every decision of the batch as unavailable', async (t) => {
  const failing = createConsumeBatcher(async () => {
    throw new Error('boom');
  });
  const failed = await Promise.allSettled([failing.consume([check('a')], 1), failing.consume([check('b')], 1)]);
  t.same(failed.map((r) => r.status), ['rejected', 'rejected']);
  const short = createConsumeBatcher(async () => '-1');
  const malformed = await Promise.allSettled([short.consume([check('a')], 1), short.consume([check('a')], 1)]);
  t.same(malformed.map((r) => (r as PromiseRejectedResult).reason?.name), ['CounterStoreUnavailable', 'CounterStoreUnavailable']);
});
