import t from 'tap';
import { storeChangeIssues } from '../../../src/budgets/store-change.js';
import { budgetStoreSection } from '../../../src/config/sections/budgets.js';

const store = (v: Record<string, unknown>) => budgetStoreSection.parse(v);

t.test('budget_store reload: only redis_url and timeout need a restart, and no URL is quoted', async (t) => {
  const redis = store({ redis_url: 'redis://:pw-one@10.0.0.1:6379' });
  t.same(storeChangeIssues(redis, store({ redis_url: 'redis://:pw-one@10.0.0.1:6379', key_prefix: 'other:', fail_open: true })), [], 'prefix and fail_open apply live');
  const other = storeChangeIssues(redis, store({ redis_url: 'redis://:pw-two@10.0.0.2:6379' }));
  t.match(other, [{ path: 'budget_store.redis_url', message: /a different Redis URL/ }]);
  t.match(storeChangeIssues(redis, store({})), [{ path: 'budget_store.redis_url', message: /Redis → memory counters/ }]);
  t.match(storeChangeIssues(store({}), redis), [{ path: 'budget_store.redis_url', message: /memory → Redis counters/ }]);
  t.match(storeChangeIssues(redis, store({ redis_url: 'redis://:pw-one@10.0.0.1:6379', timeout: '1s' })), [{ path: 'budget_store.timeout' }]);
  const text = JSON.stringify([other, storeChangeIssues(redis, store({}))]);
  t.notOk(/pw-one|pw-two|10\.0\.0/.test(text), 'neither URL (nor its password) is in the message');
});
