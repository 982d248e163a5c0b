import t from 'tap';
import { createPostgresAuditSink } from '../../../src/audit/postgres-sink.js';
import { verifyAudit } from '../../../src/audit/verify.js';
import { bodyJsonBytes } from '../../../src/audit/canonical.js';
import { withTestDatabase } from '../../helpers/db.js';
import { approvalEvent, callEvent, payloadEvent } from './fixtures/events.js';

const sinkFor = (db: { pool: import('pg').Pool; schema: string }, writer = 'w1', over: { batchSize?: number; batchDelayMs?: number } = {}) =>
  createPostgresAuditSink({ pool: db.pool, schema: db.schema, batchSize: over.batchSize ?? 128, batchDelayMs: over.batchDelayMs ?? 2, commitDeadlineMs: 5000, writer });

t.test('audit sink: group commit — 1000 concurrent records, few transactions, all durable', async (t) => {
  const db = await withTestDatabase(t);
  const sink = sinkFor(db);
  await Promise.all(Array.from({ length: 1000 }, (_, i) => sink.record(i % 2 ? callEvent({ request_id: `r${i}` }) : payloadEvent({ request_id: `r${i - 1 + 1}` }))));
  const calls = await db.pool.query(`SELECT count(*)::int AS n, count(DISTINCT xmin::text)::int AS tx FROM ${db.schema}.calls`);
  const payloads = await db.pool.query(`SELECT count(*)::int AS n FROM ${db.schema}.payloads`);
  t.equal(calls.rows[0].n + payloads.rows[0].n, 1000, 'every resolved record is in the database');
  t.ok(calls.rows[0].tx <= 20, `few transactions (${calls.rows[0].tx})`);
  t.ok(sink.stats().batches <= 20);
  await sink.close();
  t.ok((await verifyAudit(db.pool, { schema: db.schema })).ok);
});

t.test('audit sink: record resolves only after COMMIT (row visible from another connection)', async (t) => {
  const db = await withTestDatabase(t);
  const sink = sinkFor(db, 'w1', { batchDelayMs: 20 });
  await sink.record(callEvent({ request_id: 'visible' }));
  const { rows } = await db.pool.query(`SELECT request_id, subject, groups, dry_run, latency_ms FROM ${db.schema}.calls`);
  t.same(rows, [{ request_id: 'visible', subject: 'agent-a', groups: ['sre', 'agents'], dry_run: [], latency_ms: 0.731 }]);
  await sink.close();
});

t.test('audit sink: a restarted writer continues its chain; another writer has its own', async (t) => {
  const db = await withTestDatabase(t);
  const a1 = sinkFor(db, 'a');
  await Promise.all([a1.record(callEvent({ request_id: 'x1' })), a1.record(approvalEvent({ request_id: 'x1' }))]);
  await a1.close();
  const a2 = sinkFor(db, 'a');
  const b = sinkFor(db, 'b');
  await Promise.all([a2.record(callEvent({ request_id: 'x2' })), b.record(callEvent({ request_id: 'y1' }))]);
  await Promise.all([a2.close(), b.close()]);
  const { rows } = await db.pool.query(`SELECT writer, seq::int, request_id FROM ${db.schema}.calls ORDER BY writer, seq`);
  t.same(rows, [
    { writer: 'a', seq: 1, request_id: 'x1' },
    { writer: 'a', seq: 3, request_id: 'x2' },
    { writer: 'b', seq: 1, request_id: 'y1' },
  ]);
  const report = await verifyAudit(db.pool, { schema: db.schema });
  t.ok(report.ok);
  t.same(report.writers.map((w) => [w.writer, w.rows]), [['a', 3], ['b', 1]]);
});

t.test('audit sink: two processes with the same writer name never fork the chain', async (t) => {
  const db = await withTestDatabase(t);
  const s1 = sinkFor(db, 'same', { batchSize: 7 });
  const s2 = sinkFor(db, 'same', { batchSize: 5 });
  const results = await Promise.allSettled(Array.from({ length: 200 }, (_, i) => (i % 2 ? s1 : s2).record(callEvent({ request_id: `r${i}` }))));
  await Promise.all([s1.close(), s2.close()]);
  const committed = results.filter((r) => r.status === 'fulfilled').length;
  const { rows } = await db.pool.query(`SELECT count(*)::int AS n FROM ${db.schema}.calls`);
  t.equal(rows[0].n, committed, 'exactly the acknowledged rows exist');
  t.ok((await verifyAudit(db.pool, { schema: db.schema })).ok, 'one linear chain');
});

t.test('audit verify: tampering as superuser (triggers bypassed) is named by writer, seq and request id', async (t) => {
  const db = await withTestDatabase(t);
  const sink = sinkFor(db, 'w1');
  for (let i = 1; i <= 5; i++) await sink.record(callEvent({ request_id: `r${i}` }));
  await sink.record(payloadEvent({ request_id: 'r5' }));
  await sink.close();
  t.ok((await verifyAudit(db.pool, { schema: db.schema })).ok);
  const client = await db.pool.connect();
  try {
    await client.query(`SET session_replication_role = replica`);
    await client.query(`UPDATE ${db.schema}.calls SET decision = 'deny' WHERE request_id = 'r3'`);
  } finally {
    await client.query(`RESET session_replication_role`);
    client.release();
  }
  const report = await verifyAudit(db.pool, { schema: db.schema });
  t.notOk(report.ok);
  t.same(report.breaks, [{ writer: 'w1', seq: 3, request_id: 'r3', table: 'calls', reason: 'hash_mismatch' }]);

  await db.pool.query(`ALTER TABLE ${db.schema}.payloads DISABLE TRIGGER USER`);
  await db.pool.query(`DELETE FROM ${db.schema}.payloads`);
  await db.pool.query(`ALTER TABLE ${db.schema}.payloads ENABLE TRIGGER USER`);
  const again = await verifyAudit(db.pool, { schema: db.schema });
  t.match(again.breaks, [{ writer: 'w1', seq: 3 }], 'the first break is still reported first');
});

t.test('audit verify: a deleted tail row is detected through the chain head', async (t) => {
  const db = await withTestDatabase(t);
  const sink = sinkFor(db, 'w1');
  for (let i = 1; i <= 3; i++) await sink.record(callEvent({ request_id: `r${i}` }));
  await sink.close();
  await db.pool.query(`ALTER TABLE ${db.schema}.calls DISABLE TRIGGER USER`);
  await db.pool.query(`DELETE FROM ${db.schema}.calls WHERE request_id = 'r3'`);
  await db.pool.query(`ALTER TABLE ${db.schema}.calls ENABLE TRIGGER USER`);
  const report = await verifyAudit(db.pool, { schema: db.schema });
  t.same(report.breaks, [{ writer: 'w1', seq: 3, request_id: null, table: 'chain_heads', reason: 'rows_missing_at_end' }]);
});

t.test('audit sink: masked bodies travel as JSON and are stored byte for byte, nulls and hostile text included', async (t) => {
  const db = await withTestDatabase(t);
  const sink = sinkFor(db);
  const bodies = [
    '{"a":"q\\"uote","b":"back\\\\slash","c":"{x,y}","d":"NULL"}',
    'line one\nline two\t"tab" \\ ] [ , } {',
    'é ✓ 𝄞 \u2028 — "',
    null,
    '',
    'NULL',
    'x'.repeat(300_000),
  ];
  // Every other body arrives pre-encoded, as a masking worker sends it; one batch mixes both forms.
  await Promise.all(bodies.map((b, i) => sink.record(payloadEvent({ request_id: `b${i}`, masked_body: b, ...(i % 2 && b !== null ? { masked_body_json: bodyJsonBytes(b) } : {}) }))));
  await sink.close();
  const { rows } = await db.pool.query(`SELECT request_id, masked_body FROM ${db.schema}.payloads ORDER BY seq`);
  t.same(
    rows.map((r) => [r.request_id, r.masked_body]),
    bodies.map((b, i) => [`b${i}`, b]),
  );
  t.ok((await verifyAudit(db.pool, { schema: db.schema })).ok, 'the stored bodies hash as they were chained');
});

t.test('audit sink: every text column of a call is stored as chained, hostile text included', async (t) => {
  const db = await withTestDatabase(t);
  const sink = sinkFor(db);
  const hostile = ['q"uote', 'back\\slash', '{a,b}', 'NULL', '', 'é ✓ 𝄞 \u2028', 'lone \uD800 and \u0000 NUL', '"},{"seq":1,"x":"'];
  await Promise.all(
    hostile.map((h, i) =>
      sink.record(callEvent({ request_id: `h${i}-${h}`, subject: h, groups: [h, `${h},x`, '{}'], path: `/api/v1/${h}`, rule: h, reason_code: h, config_version: h, dry_run: [{ rule: h, action: 'deny' }] })),
    ),
  );
  await sink.close();
  const { rows } = await db.pool.query(`SELECT subject, groups, path, rule, config_version, dry_run FROM ${db.schema}.calls ORDER BY seq`);
  const stored = (h: string) => h.replace('\uD800', '\uFFFD').replace('\u0000', '\uFFFD');
  t.same(
    rows.map((r) => [r.subject, r.groups, r.path, r.rule, r.config_version, r.dry_run]),
    hostile.map((h) => stored(h)).map((h) => [h, [h, `${h},x`, '{}'], `/api/v1/${h}`, h, h, [{ rule: h, action: 'deny' }]]),
    'read back as recorded (NUL and lone surrogates as U+FFFD, as hashed)',
  );
  t.equal((await db.pool.query(`SELECT count(*)::int AS n FROM ${db.schema}.calls`)).rows[0].n, hostile.length, 'one row per call: a value shaped like a record boundary is only text');
  t.ok((await verifyAudit(db.pool, { schema: db.schema })).ok, 'the stored rows hash as they were chained');
});
