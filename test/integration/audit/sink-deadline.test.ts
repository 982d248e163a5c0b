import t from 'tap';
import { createPostgresAuditSink } from '../../../src/audit/postgres-sink.js';
import { verifyAudit } from '../../../src/audit/verify.js';
import { withTestDatabase } from '../../helpers/db.js';
import { callEvent } from './fixtures/events.js';

const DEADLINE = 400;

t.test('audit sink: commits stuck behind a lock — each record is refused at its own deadline', async (t) => {
  const db = await withTestDatabase(t, { poolSize: 6 });
  const sink = createPostgresAuditSink({ pool: db.pool, schema: db.schema, batchSize: 8, batchDelayMs: 2, commitDeadlineMs: DEADLINE, writer: 'w' });
  await sink.record(callEvent({ request_id: 'first' })); // the chain head exists

  // Another transaction holds the head's row: every batch's compare-and-set waits behind it.
  const holder = await db.pool.connect();
  t.teardown(() => holder.release());
  await holder.query('BEGIN');
  await holder.query(`SELECT * FROM ${db.schema}.chain_heads WHERE writer = 'w' FOR UPDATE`);

  const answered = (id: string) => {
    const started = performance.now();
    return sink.record(callEvent({ request_id: id })).then(
      () => ({ id, ms: performance.now() - started, code: 'committed' }),
      (e: { code?: string }) => ({ id, ms: performance.now() - started, code: e.code ?? 'no code', at: performance.now() }),
    );
  };
  const t0 = performance.now();
  const early = answered('early');
  await new Promise((r) => setTimeout(r, 150));
  const late = Array.from({ length: 5 }, (_, i) => answered(`late-${i}`));
  const results = await Promise.all([early, ...late]);
  await holder.query('ROLLBACK');

  for (const r of results) {
    t.equal(r.code, 'audit_unavailable', `${r.id} refused`);
    t.ok(r.ms >= DEADLINE - 5, `${r.id} not before its deadline (${Math.round(r.ms)} ms)`);
    t.ok(r.ms < DEADLINE + 300, `${r.id} about at its deadline (${Math.round(r.ms)} ms)`);
  }
  const earlyAt = (results[0] as { at: number }).at - t0;
  t.ok(earlyAt < DEADLINE + 140, `the early record is not held until the later ones' deadline (${Math.round(earlyAt)} ms)`);

  // The statements stuck behind the lock are still waiting on the server (node-postgres's
  // query_timeout does not cancel them). Once the lock goes they get it past their deadline and are
  // refused there (migration 014): not one row of a refused call may commit late.
  await new Promise((r) => setTimeout(r, 300));
  await sink.record(callEvent({ request_id: 'after' }));
  await sink.close();
  const { rows } = await db.pool.query<{ request_id: string }>(`SELECT request_id FROM ${db.schema}.calls ORDER BY seq`);
  t.same(rows.map((r) => r.request_id), ['first', 'after'], 'no row of any refused call, early or late, committed once the lock went');
  t.ok((await verifyAudit(db.pool, { schema: db.schema })).ok, 'the chain is intact');
});

t.test('audit sink: a steady stream with a short deadline — every record commits, none refused by a stale deadline', async (t) => {
  const db = await withTestDatabase(t);
  const sink = createPostgresAuditSink({ pool: db.pool, schema: db.schema, batchSize: 16, batchDelayMs: 2, commitDeadlineMs: 1_000, writer: 'w' });
  let refused = 0;
  const all: Promise<void>[] = [];
  // 1.5 × the deadline of continuous records: the one deadline timer fires and re-arms several times.
  const end = performance.now() + 1_500;
  for (let i = 0; performance.now() < end; i++) {
    all.push(sink.record(callEvent({ request_id: `s${i}` })).catch(() => void refused++));
    await new Promise((r) => setTimeout(r, 2));
  }
  await Promise.all(all);
  await sink.close();
  t.equal(refused, 0);
  const { rows } = await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${db.schema}.calls`);
  t.equal(rows[0]!.n, all.length, `all ${all.length} committed`);
});
