import t from 'tap';
import { startAdminServer, type AdminServer } from '../../../src/admin/server.js';
import { createMetrics, NO_CODE, type Metrics } from '../../../src/telemetry/metrics.js';

let admin: AdminServer;
let metrics: Metrics;
let depth = 0;

t.before(async () => {
  metrics = createMetrics();
  metrics.auditQueueDepthFrom(() => depth);
  admin = await startAdminServer({ listen: '127.0.0.1:0', ready: async () => ({ ok: true, checks: {} }), handlers: [metrics.adminHandler()] });
});
t.teardown(() => admin.close());

async function scrape(): Promise<Map<string, number>> {
  const res = await fetch(`${admin.url}/metrics`);
  if (res.status !== 200) throw new Error(`scrape failed: ${res.status}`);
  if (!res.headers.get('content-type')?.startsWith('text/plain; version=0.0.4')) throw new Error('not Prometheus text');
  const series = new Map<string, number>();
  for (const line of (await res.text()).split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const i = line.lastIndexOf(' ');
    series.set(line.slice(0, i), Number(line.slice(i + 1)));
  }
  return series;
}

function record(m: Metrics) {
  m.decisions.inc({ class: 'read', decision: 'allow', rule: 'reads', code: NO_CODE });
  m.decisions.inc({ class: 'destructive', decision: 'deny', rule: 'no-destructive', code: 'policy_denied' });
  m.checkLatency.observe({ decision: 'allow' }, 0.0004);
  m.procLatency.observe({ phase: 'request_headers' }, 0.0002);
  m.procLatency.observe({ phase: 'request_body' }, 0.003);
  m.approvals.inc({ state: 'requested' });
  m.approvals.inc({ state: 'approved' });
  m.approvalWait.observe({ state: 'approved' }, 42);
  m.maskFindings.inc({ type: 'aws_access_key_id', direction: 'request' }, 2);
  m.bytesMasked.inc({ direction: 'request' }, 120);
  m.auditBatchSize.observe(17);
  m.auditCommitLatency.observe({ outcome: 'ok' }, 0.0015);
  m.jwksFetches.inc({ outcome: 'ok' });
  m.configReloads.inc({ outcome: 'failed' });
}

const EXPECTED = [
  'keyward_decisions_total{class="read",decision="allow",rule="reads",code="none"}',
  'keyward_decisions_total{class="destructive",decision="deny",rule="no-destructive",code="policy_denied"}',
  'keyward_check_duration_seconds_count{decision="allow"}',
  'keyward_proc_phase_duration_seconds_count{phase="request_headers"}',
  'keyward_proc_phase_duration_seconds_count{phase="request_body"}',
  'keyward_approvals_total{state="requested"}',
  'keyward_approvals_total{state="approved"}',
  'keyward_approval_wait_seconds_sum{state="approved"}',
  'keyward_mask_findings_total{type="aws_access_key_id",direction="request"}',
  'keyward_masked_bytes_total{direction="request"}',
  'keyward_audit_batch_rows_sum',
  'keyward_audit_commit_duration_seconds_count{outcome="ok"}',
  'keyward_jwks_fetches_total{outcome="ok"}',
  'keyward_config_reloads_total{outcome="failed"}',
];

t.test('metrics: a real scrape of /metrics shows every series, and they move between scrapes', async (t) => {
  record(metrics);
  depth = 3;
  const first = await scrape();
  for (const name of EXPECTED) t.ok((first.get(name) ?? 0) > 0, `${name} exists`);
  t.equal(first.get('keyward_audit_queue_depth'), 3);
  t.ok(first.has('process_resident_memory_bytes'), 'process metrics are exported');
  t.equal(first.get('keyward_check_duration_seconds_bucket{le="0.0005",decision="allow"}'), 1, 'sub-millisecond buckets');

  record(metrics);
  depth = 0;
  const second = await scrape();
  for (const name of EXPECTED) t.ok(second.get(name)! > first.get(name)!, `${name} moved`);
  t.equal(second.get('keyward_audit_queue_depth'), 0);
});

t.test('metrics: each createMetrics() has its own registry', async (t) => {
  const other = createMetrics({ defaultMetrics: false });
  other.decisions.inc({ class: 'read', decision: 'allow', rule: 'reads', code: NO_CODE }, 5);
  const text = await other.registry.metrics();
  t.match(text, 'keyward_decisions_total{class="read",decision="allow",rule="reads",code="none"} 5');
  t.notMatch(text, 'process_resident_memory_bytes');
  const before = (await scrape()).get('keyward_decisions_total{class="read",decision="allow",rule="reads",code="none"}');
  t.equal(before, 2, 'the served registry did not see the other one');
});

t.test('metrics: labels are bounded — no subject, token, key, path, body or request id label', async (t) => {
  let checked = 0;
  const forbidden = /subject|token|key|path|body|request|user|issuer|authorization/i;
  for (const metric of metrics.registry.getMetricsAsArray()) {
    const labels = (metric as unknown as { labelNames?: string[] }).labelNames ?? [];
    for (const label of labels) {
      checked++;
      t.notMatch(label, forbidden, `${metric.name} label ${label}`);
    }
  }
  t.ok(checked >= 10, 'the labels were inspected');
});

t.test('metrics: other routes and methods are left to other handlers or refused', async (t) => {
  t.equal((await fetch(`${admin.url}/metricsx`)).status, 404);
  const post = await fetch(`${admin.url}/metrics`, { method: 'POST' });
  t.equal(post.status, 405);
  t.equal(post.headers.get('allow'), 'GET, HEAD');
  const head = await fetch(`${admin.url}/metrics`, { method: 'HEAD' });
  t.equal(head.status, 200);
});
