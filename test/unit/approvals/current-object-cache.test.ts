import t from 'tap';
import type { Runtime } from '../../../src/config/compile.js';
import { cachedCurrentObject } from '../../../src/approvals/current-object-cache.js';
import type { CurrentObject } from '../../../src/approvals/current-object.js';
import type { ApprovalRecord } from '../../../src/approvals/store.js';

const approval = (id: string) => ({ id }) as ApprovalRecord;
const runtimeA = {} as Runtime;
const runtimeB = {} as Runtime;
const SHOWN: CurrentObject = { state: 'shown', masked_body: '{}', changes: [], truncated: false };

t.test('current object cache: reused within the window, read again after it, per approval and per runtime', async (t) => {
  let clock = 0;
  const reads: string[] = [];
  const read = cachedCurrentObject(async (a) => (reads.push(a.id), SHOWN), { ttlMs: 1000, now: () => clock });
  await read(approval('a'), runtimeA);
  await read(approval('a'), runtimeA);
  await read(approval('b'), runtimeA);
  t.same(reads, ['a', 'b']);
  clock = 999;
  await read(approval('a'), runtimeA);
  t.same(reads, ['a', 'b'], 'still inside the window');
  clock = 1000;
  await read(approval('a'), runtimeA);
  t.same(reads, ['a', 'b', 'a'], 'the window has passed');
  await read(approval('a'), runtimeB);
  t.same(reads, ['a', 'b', 'a', 'a'], 'a reloaded config reads again');
});

t.test('current object cache: failures and unavailable answers are not kept; the oldest approval leaves first', async (t) => {
  const reads: string[] = [];
  let answer: () => Promise<CurrentObject> = () => Promise.reject(new Error('boom'));
  const read = cachedCurrentObject(async (a) => (reads.push(a.id), answer()), { max: 2, now: () => 0 });
  await t.rejects(read(approval('a'), runtimeA));
  answer = async () => ({ state: 'unavailable', reason: 'unreachable' });
  t.match(await read(approval('a'), runtimeA), { state: 'unavailable' });
  answer = async () => SHOWN;
  await read(approval('a'), runtimeA);
  t.same(reads, ['a', 'a', 'a'], 'each failure read again');
  await read(approval('b'), runtimeA);
  await read(approval('c'), runtimeA);
  await read(approval('a'), runtimeA);
  t.same(reads, ['a', 'a', 'a', 'b', 'c', 'a'], 'a left when c came in');
});
