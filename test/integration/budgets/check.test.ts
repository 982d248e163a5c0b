import t from 'tap';
import { startDevIssuer, type DevIssuer } from '../../../dev/dev-issuer.js';
import type { CallEvent } from '../../../src/audit/events.js';
import type { CheckResponse__Output } from '../../../proto/gen/envoy/service/auth/v3/CheckResponse.js';
import { KEYS, baseConfig, startTestGate } from '../../helpers/gate.js';
import { REDIS_URL, startRedisProxy, testPrefix, untilAsync } from '../../helpers/redis.js';
import { countLines, until } from '../../helpers/wait.js';

let issuer: DevIssuer;
t.before(async () => {
  issuer = await startDevIssuer();
});
t.teardown(() => issuer.close());

function configWith(budgets: unknown[], store: Record<string, unknown>) {
  return { ...baseConfig([{ issuer: issuer.issuer }]), budgets, budget_store: store };
}
const fleet = (requests: number) => [{ name: 'fleet', match: { groups: ['agents'] }, limits: [{ window: '1h', requests }, { window: '1d', requests: 1000 }] }];
const call = async (tg: { check: (r: { method: string; path: string; headers: Record<string, string> }) => Promise<CheckResponse__Output> }, subject: string) =>
  tg.check({ method: 'GET', path: '/api/v1/validate', headers: { authorization: `Bearer ${await issuer.mint({ subject, groups: ['agents'] })}` } });
const headersOf = (res: CheckResponse__Output) => Object.fromEntries((res.denied_response?.headers ?? []).map((h) => [h.header!.key, h.header!.value]));
const errorOf = (res: CheckResponse__Output) => (JSON.parse(res.denied_response?.body ?? '{"error":{}}') as { error: Record<string, unknown> }).error;

t.test('budgets: two replicas share one budget through Redis — the N+1th call is refused on either', async (t) => {
  const prefix = testPrefix('replicas');
  const a = await startTestGate(configWith(fleet(3), { redis_url: REDIS_URL, key_prefix: prefix }));
  const b = await startTestGate(configWith(fleet(3), { redis_url: REDIS_URL, key_prefix: prefix }));
  t.teardown(async () => {
    await a.stop();
    await b.stop();
  });
  const answers = [await call(a, 'agent-1'), await call(b, 'agent-1'), await call(a, 'agent-1')];
  t.same(answers.map((r) => r.status?.code), [0, 0, 0], 'three calls over two replicas fit the budget of 3');
  for (const [name, tg] of [['a', a], ['b', b]] as const) {
    const res = await call(tg, 'agent-1');
    t.equal(res.status?.code, 8, `replica ${name}: RESOURCE_EXHAUSTED`);
    t.equal(res.denied_response?.status?.code, 'TooManyRequests', `replica ${name}: HTTP 429`);
    t.match(errorOf(res), { code: 'budget_exceeded', budget: 'fleet', window: '3600s', quantity: 'requests', limit: 3, remaining: 0 });
    const h = headersOf(res);
    t.match(h, { 'x-ratelimit-limit': '3', 'x-ratelimit-remaining': '0', 'x-ratelimit-name': 'fleet', 'x-ratelimit-period': '3600' });
    t.ok(Number(h['x-ratelimit-reset']) >= 1 && Number(h['x-ratelimit-reset']) <= 3600, 'reset in seconds within the window');
    const seen = JSON.stringify([res.denied_response, tg.logs(), tg.audit.events]);
    t.ok(Object.values(KEYS).every((k) => !seen.includes(k)), `replica ${name}: no Datadog key in the refusal, logs or audit`);
  }
  await until(() => b.audit.events.some((e) => e.kind === 'call' && e.reason_code === 'budget_exceeded'));
  t.match(b.audit.events.find((e): e is CallEvent => e.kind === 'call' && e.reason_code === 'budget_exceeded'), { subject: 'agent-1', decision: 'deny', operation_class: 'read' });
  t.equal((await call(b, 'agent-2')).status?.code, 0, 'another agent draws on its own counter');

  const status = await fetch(`${a.gate.adminUrl}/metrics`).then((r) => r.text());
  t.match(status, /keyward_budget_remaining_ratio\{budget="fleet",window="3600s",quantity="requests",identity="agent-1"\} 0\b/);
});

t.test('budgets: a reload that raises the limit applies to the next call', async (t) => {
  const prefix = testPrefix('reload');
  const tg = await startTestGate(configWith(fleet(1), { redis_url: REDIS_URL, key_prefix: prefix }));
  t.teardown(() => tg.stop());
  t.equal((await call(tg, 'agent-r')).status?.code, 0);
  t.equal((await call(tg, 'agent-r')).status?.code, 8);
  const before = countLines(tg.logs, 'configuration reloaded');
  tg.writeConfig(configWith(fleet(2), { redis_url: REDIS_URL, key_prefix: prefix }));
  await until(() => countLines(tg.logs, 'configuration reloaded') > before);
  t.equal((await call(tg, 'agent-r')).status?.code, 0, 'the raised budget counts what was used already and lets one more through');
  t.equal((await call(tg, 'agent-r')).status?.code, 8);
});

t.test('budgets: Redis unreachable → 503 budget_unavailable (fail closed), /readyz says so, then recovery', async (t) => {
  const proxy = await startRedisProxy();
  const tg = await startTestGate(configWith(fleet(100), { redis_url: proxy.url, key_prefix: testPrefix('outage'), timeout: '200ms' }));
  t.teardown(async () => {
    await tg.stop();
    await proxy.close();
  });
  t.equal((await call(tg, 'agent-o')).status?.code, 0, 'counted while Redis is up');
  await proxy.cut();
  const down = await call(tg, 'agent-o');
  t.equal(down.status?.code, 14, 'UNAVAILABLE');
  t.match(errorOf(down), { code: 'budget_unavailable' });
  t.equal(down.denied_response?.status?.code, 'ServiceUnavailable');
  const ready = await fetch(`${tg.gate.adminUrl}/readyz`);
  t.equal(ready.status, 503);
  t.match(await ready.json(), { checks: { budgets: 'unavailable' } });
  t.notMatch(down.denied_response?.body ?? '', /ECONN|Stream|writeable|ioredis|timed? ?out/i, 'no library error text reaches the answer');
  await until(() => tg.audit.events.some((e) => e.kind === 'call' && e.reason_code === 'budget_unavailable'));
  t.match(tg.audit.events.find((e) => e.kind === 'call' && e.reason_code === 'budget_unavailable'), { decision: 'error' });

  await proxy.restore();
  // The client reconnects in the background (backoff ≤ 1 s): wait for an allowed call, not a fixed time.
  let last: CheckResponse__Output | undefined;
  await untilAsync(async () => (last = await call(tg, 'agent-o')).status?.code === 0);
  t.equal(last?.status?.code, 0, 'calls are counted and allowed again once Redis is back');
  t.equal((await fetch(`${tg.gate.adminUrl}/readyz`)).status, 200);
});

t.test('budgets: fail_open lets calls through uncounted while Redis is unreachable', async (t) => {
  const proxy = await startRedisProxy();
  const tg = await startTestGate(configWith(fleet(100), { redis_url: proxy.url, key_prefix: testPrefix('open'), timeout: '200ms', fail_open: true }));
  t.teardown(async () => {
    await tg.stop();
    await proxy.close();
  });
  await proxy.cut();
  t.equal((await call(tg, 'agent-f')).status?.code, 0);
  t.ok(tg.logs().some((l) => l.includes('let through uncounted')));
  const ready = await fetch(`${tg.gate.adminUrl}/readyz`);
  t.equal(ready.status, 200, 'fail open: not a readiness failure');
  t.match(await ready.json(), { checks: { budgets: 'unavailable' } });
});

t.test('budgets: without Redis one replica counts in memory', async (t) => {
  const tg = await startTestGate(configWith(fleet(2), {}));
  t.teardown(() => tg.stop());
  t.same([(await call(tg, 'm')).status?.code, (await call(tg, 'm')).status?.code, (await call(tg, 'm')).status?.code], [0, 0, 8]);
  t.match(await (await fetch(`${tg.gate.adminUrl}/readyz`)).json(), { checks: { budgets: 'memory' } });
});

t.test('budgets: a reload that changes budget_store.redis_url is refused with the key named; the running store keeps counting', async (t) => {
  const prefix = testPrefix('store-swap');
  const tg = await startTestGate(configWith(fleet(2), { key_prefix: prefix }));
  t.teardown(() => tg.stop());
  t.equal((await call(tg, 'agent-s')).status?.code, 0, 'counted in memory');
  const refusedBefore = countLines(tg.logs, 'configuration refused');
  // memory → Redis, with a password in the URL that must never be logged
  tg.writeConfig(configWith(fleet(5), { redis_url: 'redis://:s3cret-pw@127.0.0.1:6379', key_prefix: prefix }));
  await until(() => countLines(tg.logs, 'configuration refused') > refusedBefore);
  const line = tg.logs().find((l) => l.includes('configuration refused'))!;
  t.match(JSON.parse(line), { code: 'config_invalid', issues: [/^budget_store\.redis_url: changed \(memory → Redis counters\): .*needs a restart/] });
  t.notOk(tg.logs().some((l) => l.includes('s3cret-pw')), 'the Redis password is in no log line');
  t.equal((await call(tg, 'agent-s')).status?.code, 0, 'second call of 2, still on the memory counter');
  t.equal((await call(tg, 'agent-s')).status?.code, 8, 'the old config (limit 2) and its store keep serving');
  // timeout too; a change of key_prefix alone applies live
  tg.writeConfig(configWith(fleet(2), { key_prefix: prefix, timeout: '2s' }));
  await until(() => countLines(tg.logs, 'configuration refused') > refusedBefore + 1);
  t.ok(tg.logs().some((l) => l.includes('budget_store.timeout: changed: the counter store is opened at start')));
  const reloadedBefore = countLines(tg.logs, 'configuration reloaded');
  tg.writeConfig(configWith(fleet(2), { key_prefix: `${prefix}v2:` }));
  await until(() => countLines(tg.logs, 'configuration reloaded') > reloadedBefore);
  t.equal((await call(tg, 'agent-s')).status?.code, 0, 'a new key prefix is a fresh counter, applied at once');
});
