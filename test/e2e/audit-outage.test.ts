import t from 'tap';
import pg from 'pg';
import { createPostgresAuditSink } from '../../src/audit/postgres-sink.js';
import { quoteIdent } from '../../src/db/sql.js';
import { baseConfig } from '../helpers/gate.js';
import { createTcpFault, withTestDatabase } from '../helpers/db.js';
import { startStack } from '../helpers/stack.js';
import { datadogAgent, refusal, seriesPayload, until } from './agent.js';

// Audit before forward, with a real Postgres behind a relay the test cuts: while Postgres is
// unreachable the client's calls are refused with 503 audit_unavailable, and every call Datadog did
// receive — before, during and after the outage — has its committed audit rows. Then it recovers.

t.test('e2e: Postgres stopped mid-run → 503 audit_unavailable, nothing forwarded unaudited, recovery', async (t) => {
  const db = await withTestDatabase(t);
  const fault = await createTcpFault(db.url);
  t.teardown(() => fault.close());
  const pool = new pg.Pool({ connectionString: fault.url, max: 4, connectionTimeoutMillis: 500 });
  pool.on('error', () => undefined);
  t.teardown(() => pool.end().catch(() => undefined));
  const audit = createPostgresAuditSink({ pool, schema: db.schema, batchSize: 16, batchDelayMs: 2, commitDeadlineMs: 400, writer: 'e2e' });
  const s = await startStack((issuer) => baseConfig([{ issuer }]), { audit });
  t.teardown(() => s.stop());
  const agent = datadogAgent(s.door.url, () => s.bearer('agent-1', ['agents']));

  let n = 0;
  const sent: { metric: string; outcome: 'ok' | number; code?: unknown }[] = [];
  const one = async () => {
    const metric = `e2e.pg.${n++}`;
    try {
      await agent.metrics.submitMetrics({ body: seriesPayload(metric) });
      sent.push({ metric, outcome: 'ok' });
    } catch (e) {
      const { code, body } = await refusal(Promise.reject(e));
      sent.push({ metric, outcome: code, code: (body as { error?: { code?: string } }).error?.code });
    }
  };
  let running = true;
  const workers = Array.from({ length: 3 }, async () => {
    while (running) await one();
  });

  await until(() => sent.filter((c) => c.outcome === 'ok').length >= 15);
  await fault.down();
  const cutAt = sent.length;
  await until(() => sent.slice(cutAt).filter((c) => c.outcome !== 'ok').length >= 10);
  const downOk = sent.slice(cutAt + 3).filter((c) => c.outcome === 'ok').length;
  await fault.up();
  const upAt = sent.length;
  await until(() => sent.slice(upAt).filter((c) => c.outcome === 'ok').length >= 10);
  running = false;
  await Promise.all(workers);

  const refused = sent.filter((c) => c.outcome !== 'ok');
  t.ok(refused.length >= 10, `${refused.length} calls refused during the outage`);
  t.same(new Set(refused.map((c) => `${c.outcome} ${String(c.code)}`)), new Set(['503 audit_unavailable']), 'each refusal is 503 audit_unavailable in keyward JSON');
  t.equal(downOk, 0, 'no call started after the cut succeeded while Postgres was down');
  // (A commit right after reconnecting may still miss its deadline: recovery is "calls succeed again", not "every call".)
  t.ok(sent.slice(upAt).filter((c) => c.outcome === 'ok').length >= 10, 'calls succeed again once Postgres is back');

  // Every request Datadog received has committed rows: an allowed call and the masked body it got.
  const s_ = quoteIdent(db.schema);
  const { rows } = await db.pool.query<{ request_id: string; decision: string; masked_body: string | null }>(
    `SELECT c.request_id, c.decision, p.masked_body FROM ${s_}.calls c LEFT JOIN ${s_}.payloads p ON p.request_id = c.request_id AND p.direction = 'request' WHERE c.path = '/api/v2/series'`,
  );
  const forwarded = s.datadog.received.filter((r) => r.path === '/api/v2/series');
  t.ok(forwarded.length >= 25, `${forwarded.length} series reached Datadog`);
  const unaudited = forwarded.filter((r) => !rows.some((row) => row.decision === 'allow' && row.masked_body === r.text));
  t.same(unaudited.map((r) => r.text.slice(0, 80)), [], 'nothing reached Datadog without a committed call row and payload row');
  const okMetrics = sent.filter((c) => c.outcome === 'ok').map((c) => c.metric);
  t.same(okMetrics.filter((m) => !forwarded.some((r) => r.text.includes(`"${m}"`))), [], 'every call the agent saw succeed reached Datadog');
  t.same(refused.filter((c) => forwarded.some((r) => r.text.includes(`"${c.metric}"`))), [], 'no refused call reached Datadog');
});
