import t from 'tap';
import type { v2 } from '@datadog/datadog-api-client';
import type { PayloadEvent } from '../../src/audit/events.js';
import { budgetTop } from '../../src/budgets/report.js';
import { createRedisStore } from '../../src/budgets/redis-store.js';
import { baseConfig } from '../helpers/gate.js';
import { REDIS_URL, testPrefix, untilAsync } from '../helpers/redis.js';
import { startStack } from '../helpers/stack.js';
import { datadogAgent, refusal, until } from './agent.js';

// A runaway agent: the official Datadog client, with a fresh request_id tag on every call. The series
// guard stops it at the budget while the series it already had keep flowing.

const now = () => Math.floor(Date.now() / 1000);
const series = (metric: string, tags: string[]): v2.MetricSeries => ({ metric, type: 0, points: [{ timestamp: now(), value: 1 }], tags });

function config(issuer: string, prefix: string, mode: 'refuse' | 'drop') {
  return {
    ...baseConfig([{ issuer }]),
    budgets: [{ name: 'series-per-agent', match: { groups: ['agents'], class: 'telemetry-write' }, series: { max: 5, mode } }],
    budget_store: { redis_url: REDIS_URL, key_prefix: prefix },
  };
}

t.test('e2e cardinality: a fresh tag per call is stopped at series.max; existing series still pass', async (t) => {
  const prefix = testPrefix('runaway');
  const s = await startStack((issuer) => config(issuer, prefix, 'refuse'));
  t.teardown(() => s.stop());
  const agent = datadogAgent(s.door.url, () => s.bearer('runaway-1', ['agents']));

  for (let i = 0; i < 5; i++) await agent.metrics.submitMetrics({ body: { series: [series('app.requests', ['env:prod', `request_id:${i}`])] }, contentEncoding: 'deflate' });
  t.equal(s.datadog.received.length, 5, 'five distinct series fit the budget of 5');

  const refused = await refusal(agent.metrics.submitMetrics({ body: { series: [series('app.requests', ['env:prod', 'request_id:5'])] }, contentEncoding: 'gzip' }));
  t.equal(refused.code, 429);
  t.match(refused.body, { error: { code: 'cardinality_exceeded', budget: 'series-per-agent', limit: 5, metrics: ['app.requests'], new_series: 1 } });
  t.equal(s.datadog.received.length, 5, 'nothing of the refused batch reached Datadog');

  // The same series as the first call, tags in another order: known, accepted.
  await agent.metrics.submitMetrics({ body: { series: [series('app.requests', ['request_id:0', 'env:prod'])] } });
  t.equal(s.datadog.received.length, 6, 'an existing series keeps flowing');
  // A batch mixing known and new series is refused whole in refuse mode.
  const mixed = await refusal(agent.metrics.submitMetrics({ body: { series: [series('app.requests', ['env:prod', 'request_id:1']), series('app.latency', ['env:prod'])] } }));
  t.equal(mixed.code, 429);
  t.match(mixed.body, { error: { metrics: ['app.latency'] } });

  // Another agent has its own hour of series.
  const other = datadogAgent(s.door.url, () => s.bearer('calm-1', ['agents']));
  await other.metrics.submitMetrics({ body: { series: [series('app.requests', ['env:prod', 'request_id:99'])] } });
  t.equal(s.datadog.received.length, 7);

  await until(() => s.tg.audit.events.some((e) => e.kind === 'payload' && e.reason_code === 'cardinality_exceeded'));

  // budgets top: the metric, and request_id as the tag with the most distinct values.
  const store = createRedisStore({ url: REDIS_URL, timeoutMs: 1000, log: s.tg.gate.log });
  t.teardown(() => store.close());
  const cfg = s.tg.gate.config.current().config;
  let top: Awaited<ReturnType<typeof budgetTop>> = [];
  await untilAsync(async () => {
    top = await budgetTop(cfg.budgets, store, prefix, Date.now());
    return top.some((r) => r.identity === 'runaway-1' && r.metric === 'app.requests' && r.newSeries === 6);
  });
  const row = top.find((r) => r.identity === 'runaway-1' && r.metric === 'app.requests')!;
  t.same(row.tags[0], { key: 'request_id', values: 6 }, 'the tag adding series is named first');
  t.same(row.tags[1], { key: 'env', values: 1 });
});

t.test('e2e cardinality, drop mode: the batch goes on without its new series (zstd re-encoded), the audit lists them', async (t) => {
  const prefix = testPrefix('drop');
  const s = await startStack((issuer) => config(issuer, prefix, 'drop'));
  t.teardown(() => s.stop());
  const { Zstd } = await import('@hpcc-js/wasm-zstd');
  const zstd = await Zstd.load();
  const agent = datadogAgent(s.door.url, () => s.bearer('dropper', ['agents']), { zstd: (body) => zstd.compress(new TextEncoder().encode(body), 3) });
  const known = Array.from({ length: 5 }, (_, i) => series('jobs.done', [`shard:${i}`]));
  await agent.metrics.submitMetrics({ body: { series: known }, contentEncoding: 'zstd1' });
  const res = await agent.metrics.submitMetrics({ body: { series: [known[0]!, series('jobs.done', ['shard:new']), known[4]!, series('jobs.failed', [])] }, contentEncoding: 'zstd1' });
  t.ok(res, 'answered 2xx: the known series were accepted');
  const forwarded = s.datadog.received.at(-1)!;
  t.equal(forwarded.headers['content-encoding'], 'zstd1');
  t.equal(Number(forwarded.headers['content-length']), forwarded.raw.length, 'content-length fixed');
  const body = JSON.parse(forwarded.text) as { series: { metric: string; tags: string[] }[] };
  t.same(body.series.map((x) => x.tags), [['shard:0'], ['shard:4']], 'only the existing series went on');
  const row = s.tg.audit.events.find((e): e is PayloadEvent => e.kind === 'payload' && e.findings.some((f) => f.type === 'series_dropped'));
  t.ok(row, 'the payload row carries the dropped series');
  t.same(row!.findings.find((f) => f.type === 'series_dropped'), { type: 'series_dropped', count: 2, locations: ['$.series[1]{metric=jobs.done}', '$.series[3]{metric=jobs.failed}'] });
});

t.test('e2e budgets: log events are weighed on the body in ext_proc — over the window → 429 with X-RateLimit headers, nothing forwarded', async (t) => {
  const prefix = testPrefix('logs');
  const s = await startStack((issuer) => ({
    ...baseConfig([{ issuer }]),
    budgets: [{ name: 'log-lines', match: { groups: ['agents'] }, limits: [{ window: '1m', log_events: 3, request_bytes: 100_000 }] }],
    budget_store: { redis_url: REDIS_URL, key_prefix: prefix },
  }));
  t.teardown(() => s.stop());
  const agent = datadogAgent(s.door.url, () => s.bearer('logger', ['agents']));
  await agent.logs.submitLog({ body: [{ message: 'one' }, { message: 'two' }], contentEncoding: 'gzip' });
  t.equal(s.datadog.received.length, 1);
  const res = await fetch(`${s.door.url}/api/v2/logs`, {
    method: 'POST',
    headers: { authorization: await s.bearer('logger', ['agents']), 'content-type': 'application/json' },
    body: JSON.stringify([{ message: 'three' }, { message: 'four' }]),
  });
  t.equal(res.status, 429);
  t.equal(res.headers.get('x-ratelimit-name'), 'log-lines');
  t.equal(res.headers.get('x-ratelimit-limit'), '3');
  t.equal(res.headers.get('x-ratelimit-remaining'), '1');
  t.equal(res.headers.get('x-ratelimit-period'), '60');
  t.match(await res.json(), { error: { code: 'budget_exceeded', budget: 'log-lines', quantity: 'log_events' } });
  t.equal(s.datadog.received.length, 1, 'the batch over budget was not forwarded');
  await until(() => s.tg.audit.events.some((e) => e.kind === 'payload' && e.reason_code === 'budget_exceeded'));
});
