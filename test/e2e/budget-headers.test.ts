import t from 'tap';
import { baseConfig, KEYS } from '../helpers/gate.js';
import { REDIS_URL, testPrefix } from '../helpers/redis.js';
import { startStack } from '../helpers/stack.js';
import { datadogAgent } from './agent.js';

// Allowed calls a budget governs carry Datadog's X-RateLimit set (of the tightest requests window),
// so an agent paces itself before it is refused; Datadog's own headers are never overwritten.

t.test('e2e budgets: an allowed call carries X-RateLimit-* of the tightest window; Datadog’s own rate-limit headers win', async (t) => {
  const prefix = testPrefix('headers');
  const s = await startStack((issuer) => ({
    ...baseConfig([{ issuer }]),
    budgets: [
      { name: 'hourly', match: { subject: '*er' }, limits: [{ window: '1h', requests: 10 }, { window: '1d', requests: 1000 }] },
      { name: 'minute', match: { subject: 'pacer' }, limits: [{ window: '1m', requests: 4 }] },
    ],
    budget_store: { redis_url: REDIS_URL, key_prefix: prefix },
  }));
  t.teardown(() => s.stop());
  const get = async (subject: string, path = '/api/v1/validate') =>
    fetch(`${s.door.url}${path}`, { headers: { authorization: await s.bearer(subject, ['agents']) } });

  // The official client sees the call through (it only returns the body).
  const agent = datadogAgent(s.door.url, () => s.bearer('reader', ['agents']));
  t.match(await agent.monitors.listMonitors({}), [], 'the official client call is allowed');

  const first = await get('reader');
  t.equal(first.status, 200);
  t.equal(first.headers.get('x-ratelimit-name'), 'hourly');
  t.equal(first.headers.get('x-ratelimit-limit'), '10');
  t.equal(first.headers.get('x-ratelimit-remaining'), '8', 'the client call and this one are counted');
  t.equal(first.headers.get('x-ratelimit-period'), '3600');
  const reset = Number(first.headers.get('x-ratelimit-reset'));
  t.ok(reset >= 1 && reset <= 3600, `reset in seconds within the hour (${reset})`);
  t.equal(first.headers.get('retry-after'), null, 'nothing to retry on an allowed call');
  t.ok(first.headers.get('x-keyward-request-id'), 'the request id is still there');
  t.equal((await get('reader')).headers.get('x-ratelimit-remaining'), '7');

  // pacer draws on both budgets: 3 of 4 left (0.75) binds before 9 of 10 (0.9).
  const pacer = await get('pacer');
  t.equal(pacer.headers.get('x-ratelimit-name'), 'minute', 'the window with the smallest share left');
  t.equal(pacer.headers.get('x-ratelimit-remaining'), '3');
  t.equal(pacer.headers.get('x-ratelimit-period'), '60');

  // Datadog answers the monitor API with its own X-RateLimit set: that is what the agent gets.
  const monitors = await get('reader', '/api/v1/monitor');
  t.equal(monitors.status, 200);
  t.equal(monitors.headers.get('x-ratelimit-name'), 'monitor_api', 'Datadog’s own headers are not replaced');
  t.equal(monitors.headers.get('x-ratelimit-limit'), '3000');

  // An identity no budget matches gets no budget headers.
  const free = await fetch(`${s.door.url}/api/v1/validate`, { headers: { authorization: await s.bearer('free-agent', ['agents']) } });
  t.equal(free.status, 200);
  t.equal(free.headers.get('x-ratelimit-name'), null);

  const seen = JSON.stringify([...first.headers, ...pacer.headers]);
  t.ok(Object.values(KEYS).every((k) => !seen.includes(k)), 'no Datadog key in the headers');
});
