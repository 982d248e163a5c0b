import t from 'tap';
import { pino } from 'pino';
import { parseConfig } from '../../../src/config/load.js';
import { createBudgetGuard } from '../../../src/budgets/index.js';
import { createMemoryStore } from '../../../src/budgets/memory-store.js';
import { budgetStatus } from '../../../src/budgets/report.js';
import { isKeywardError } from '../../../src/errors.js';

const yaml = `
connections: [{ name: prod, site: datadoghq.com, api_key: a1b2c3d4e5f60718293a4b5c6d7e8f90, groups: [agents] }]
budgets:
  - name: per-second
    match: { subject: "bot-*" }
    limits: [{ window: 10s, requests: 2 }]
`;

t.test('budgets memory store: a sliding window frees up gradually, with a frozen clock', async (t) => {
  let clock = 1_000_000_000_000; // a bucket boundary of 10 s
  const config = parseConfig(yaml);
  const store = createMemoryStore(() => clock);
  const guard = createBudgetGuard({ store, log: pino({ level: 'silent' }), now: () => clock });
  const caller = { issuer: 'i', subject: 'bot-1', groups: [], connection: 'prod', operationClass: 'read' };
  const attempt = async () => guard.checkRequest(config, caller).then(() => 'ok', (e: unknown) => (isKeywardError(e) ? e.code : 'crash'));
  t.same([await attempt(), await attempt(), await attempt()], ['ok', 'ok', 'budget_exceeded']);
  clock += 10_000; // next bucket starts: the previous one still weighs fully
  t.equal(await attempt(), 'budget_exceeded');
  clock += 5_000; // half of it has slid out: 2 × 0.5 = 1 used
  t.equal(await attempt(), 'ok');
  t.equal(await attempt(), 'budget_exceeded');
  t.same(await guard.checkRequest(config, { ...caller, subject: 'human' }), {}, 'an identity no budget matches is not counted (and gets no X-RateLimit headers)');
  const rows = await budgetStatus(config.budgets, store, config.budget_store.key_prefix, clock);
  t.match(rows, [{ budget: 'per-second', identity: 'bot-1', window: '10s', quantity: 'requests', limit: 2, used: 2 }]);
});

function issuesOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return (e as { issues?: unknown }).issues;
  }
  return 'no error';
}

t.test('budgets config: bad budgets fail with their path', async (t) => {
  const bad = (extra: string) => () => parseConfig(`connections: [{ name: prod, site: datadoghq.com, api_key: a1b2c3d4e5f60718293a4b5c6d7e8f90, groups: [agents] }]\nbudgets:\n${extra}`);
  t.match(issuesOf(bad('  - { name: a, limits: [{ window: 1m, requests: 1 }] }\n  - { name: a, limits: [{ window: 1m, requests: 1 }] }')), [{ path: 'budgets[1].name', message: 'duplicate budget name "a"' }]);
  t.match(issuesOf(bad('  - { name: a, match: { connection: nope }, limits: [{ window: 1m, requests: 1 }] }')), [{ path: 'budgets[0].match.connection' }]);
  t.match(issuesOf(bad('  - { name: a, limits: [{ window: 500ms, requests: 1 }] }')), [{ path: 'budgets[0].limits[0].window' }]);
  t.match(issuesOf(bad('  - { name: a, limits: [{ window: 1m }] }')), [{ path: 'budgets[0].limits[0]', message: /at least one of requests/ }]);
  t.match(issuesOf(bad('  - { name: a, series: { max: 1000000 } }')), [{ path: 'budgets[0].series.max' }]);
  t.match(issuesOf(bad('  - { name: a, series: { max: 5, mode: block } }')), [{ path: 'budgets[0].series.mode' }]);
});
