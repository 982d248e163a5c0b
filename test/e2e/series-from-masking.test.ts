import t, { type Test } from 'tap';
import type { v2 } from '@datadog/datadog-api-client';
import type { PayloadEvent } from '../../src/audit/events.js';
import { createMaskPool, type MaskPool } from '../../src/mask-pool/pool.js';
import { KEYS, baseConfig } from '../helpers/gate.js';
import { budgetTop } from '../../src/budgets/report.js';
import { createRedisStore } from '../../src/budgets/redis-store.js';
import { REDIS_URL, testPrefix, untilAsync } from '../helpers/redis.js';
import { startStack } from '../helpers/stack.js';
import { datadogAgent, refusal, until } from './agent.js';

// A masked metric submission is weighed from its masking pass: on a worker thread, the series and
// points come back with the masked body. Budgets must see exactly what they saw from their own read.

const SLACK = 'xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx';
const now = () => Math.floor(Date.now() / 1000);
const series = (metric: string, tags: string[], points = 1): v2.MetricSeries => ({
  metric,
  type: 0,
  points: Array.from({ length: points }, (_, i) => ({ timestamp: now() - i, value: i })),
  tags,
  resources: [{ name: 'host-1', type: 'host' }],
});

function config(issuer: string, prefix: string, mode: 'refuse' | 'drop') {
  return {
    ...baseConfig([{ issuer }]),
    budgets: [
      { name: 'series', match: { groups: ['agents'], class: 'telemetry-write' }, series: { max: 3, mode } },
      { name: 'points', match: { groups: ['agents'], class: 'telemetry-write' }, limits: [{ window: '1m', metric_points: 9 }] },
    ],
    budget_store: { redis_url: REDIS_URL, key_prefix: prefix },
  };
}

async function stackWithWorkerMasking(t: Test, mode: 'refuse' | 'drop') {
  // inline_below 0: every body is masked, and so weighed, on the worker thread.
  const pool = createMaskPool({ threads: 1, inline_below: 0, max_in_flight: 4, max_per_identity: 2 });
  await pool.warm();
  // What each masking job was asked to read, and how many series its pass read.
  const reads: { readSeries: boolean; series: number | undefined; submission: boolean }[] = [];
  const watched: MaskPool = {
    ...pool,
    async mask(job) {
      const masked = await pool.mask(job);
      reads.push({ readSeries: job.readSeries === true, series: masked.series?.count, submission: masked.maskedText.includes('"series"') });
      return masked;
    },
  };
  const prefix = testPrefix(`fused-${mode}`);
  const s = await startStack((issuer) => config(issuer, prefix, mode), { maskPool: watched });
  t.teardown(async () => {
    await s.stop();
    await pool.close();
  });
  return { s, pool, reads, prefix };
}

t.test('series weighed from the worker masking pass: series.max and metric_points hold, existing series pass', async (t) => {
  const { s, pool, reads } = await stackWithWorkerMasking(t, 'refuse');
  const agent = datadogAgent(s.door.url, () => s.bearer('worker-agent', ['agents']));

  await agent.metrics.submitMetrics({ body: { series: [series('app.req', ['env:prod', 'route:a'], 2), series('app.req', ['env:prod', 'route:b'], 2)] }, contentEncoding: 'gzip' });
  t.equal(s.datadog.received.length, 1, 'two series, four points: within both budgets');
  t.ok(pool.counts().worker >= 1, 'the body was masked on the worker');
  t.same(reads[0], { readSeries: true, series: 2, submission: true }, 'its two series were read by that masking pass');

  // Same series, tags in another order and the host as a resource: known, counted as the same two.
  await agent.metrics.submitMetrics({ body: { series: [series('app.req', ['route:a', 'env:prod'], 2)] } });
  t.equal(s.datadog.received.length, 2, 'an existing series keeps flowing');

  // route:c is the third series and fits; app.err would be the fourth.
  const over = await refusal(agent.metrics.submitMetrics({ body: { series: [series('app.req', ['env:prod', 'route:c']), series('app.err', ['env:prod'])] }, contentEncoding: 'deflate' }));
  t.equal(over.code, 429);
  t.match(over.body, { error: { code: 'cardinality_exceeded', budget: 'series', limit: 3, metrics: ['app.err'], new_series: 1 } });
  t.equal(s.datadog.received.length, 2, 'nothing of the refused batch was forwarded');

  // Six points so far; four more go over the 9 per minute.
  const points = await refusal(agent.metrics.submitMetrics({ body: { series: [series('app.req', ['env:prod', 'route:a'], 4)] } }));
  t.equal(points.code, 429);
  t.match(points.body, { error: { code: 'budget_exceeded', budget: 'points', quantity: 'metric_points' } });
  t.equal(s.datadog.received.length, 2);
  await until(() => s.tg.audit.events.some((e) => e.kind === 'payload' && e.reason_code === 'cardinality_exceeded'));
});

t.test('series weighed from the worker masking pass, drop mode: the batch goes on without its new series, masked', async (t) => {
  const { s, reads, prefix } = await stackWithWorkerMasking(t, 'drop');
  const agent = datadogAgent(s.door.url, () => s.bearer('dropper', ['agents']));
  await agent.metrics.submitMetrics({ body: { series: [series('jobs', ['shard:0']), series('jobs', ['shard:1']), series('jobs', ['shard:2'])] } });
  const before = s.datadog.received.length;
  const readsBefore = reads.length;
  // New series: a token in a tag, and metric names that are secrets (the connection's own key; a Slack token).
  await agent.metrics.submitMetrics({ body: { series: [series('jobs', ['shard:0']), series('jobs', [`token:${SLACK}`]), series('jobs', ['shard:2']), series(KEYS.prodApi, []), series(SLACK, [])] }, contentEncoding: 'gzip' });
  t.equal(s.datadog.received.length, before + 1);
  t.same(
    reads.slice(readsBefore).filter((r) => r.submission),
    [
      { readSeries: true, series: 5, submission: true },
      { readSeries: false, series: undefined, submission: true },
    ],
    'read in the first masking pass; the rewritten body masked afresh',
  );
  const forwarded = JSON.parse(s.datadog.received.at(-1)!.text) as { series: { tags: string[] }[] };
  t.same(forwarded.series.map((x) => x.tags), [['shard:0'], ['shard:2']], 'the new series was dropped');
  const row = s.tg.audit.events.find((e): e is PayloadEvent => e.kind === 'payload' && e.findings.some((f) => f.type === 'series_dropped'));
  t.same(
    row?.findings.find((f) => f.type === 'series_dropped'),
    { type: 'series_dropped', count: 3, locations: ['$.series[1]{metric=jobs}', '$.series[3]{metric=[REDACTED:datadog_key]}', '$.series[4]{metric=[REDACTED:slack_token]}'] },
    'a dropped series is named by its metric, masked as the body is',
  );
  t.notOk(row?.masked_body?.includes(SLACK), 'the audit row holds the body as forwarded: without the dropped series');
  t.notOk(JSON.stringify(s.tg.audit.events).includes(SLACK), 'the token is in no audit row');
  t.notOk(JSON.stringify(s.tg.audit.events).includes(KEYS.prodApi), 'the Datadog key is in no audit row');

  // budgets top shows the new series' metrics to operators: masked as well.
  const store = createRedisStore({ url: REDIS_URL, timeoutMs: 1000, log: s.tg.gate.log });
  t.teardown(() => store.close());
  const budgets = s.tg.gate.config.current().config.budgets;
  let top: Awaited<ReturnType<typeof budgetTop>> = [];
  await untilAsync(async () => {
    top = await budgetTop(budgets, store, prefix, Date.now());
    return top.some((r) => r.identity === 'dropper' && r.metric === '[REDACTED:slack_token]');
  });
  t.ok(top.some((r) => r.identity === 'dropper' && r.metric === '[REDACTED:datadog_key]'), 'the key as a metric name is listed masked');
  t.notOk(JSON.stringify(top).includes(SLACK), 'no token in budgets top');
  t.notOk(JSON.stringify(top).includes(KEYS.prodApi), 'no Datadog key in budgets top');
});
