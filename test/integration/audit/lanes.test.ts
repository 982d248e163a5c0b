import t from 'tap';
import { createKeyring } from '../../../src/audit/chain-key.js';
import { createFileWitness } from '../../../src/audit/file-witness.js';
import { bodiesWriter, createLanedAuditSink } from '../../../src/audit/lanes.js';
import { verifyAudit } from '../../../src/audit/verify.js';
import { createWitness } from '../../../src/audit/witness.js';
import { withTestDatabase } from '../../helpers/db.js';
import { callEvent, payloadEvent } from './fixtures/events.js';
import { K1, readLines, tempFile } from './tamper-helpers.js';

const settledWithin = (p: Promise<unknown>, ms: number) => Promise.race([p.then(() => true, () => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);

t.test('audit lanes: a call commits while the bodies chain is stuck behind a slow insert', async (t) => {
  const db = await withTestDatabase(t);
  const sink = createLanedAuditSink({ pool: db.pool, schema: db.schema, batchSize: 1, batchDelayMs: 0, commitDeadlineMs: 10_000, writer: 'w1' });
  await sink.record(payloadEvent({ request_id: 'p0' }));
  // Hold the bodies chain's head row, as a batch of large bodies still being inserted would.
  const locker = await db.pool.connect();
  await locker.query('BEGIN');
  await locker.query(`SELECT 1 FROM ${db.schema}.chain_heads WHERE writer = $1 FOR UPDATE`, [bodiesWriter('w1')]);
  try {
    const body = sink.record(payloadEvent({ request_id: 'p1' }));
    t.ok(await settledWithin(sink.record(callEvent({ request_id: 'c1' })), 3_000), 'the call row is committed without waiting for the body');
    t.notOk(await settledWithin(body, 200), 'the body row is still waiting');
    await locker.query('ROLLBACK');
    await body;
    t.pass('the body row commits once the chain moves again');
  } finally {
    await locker.query('ROLLBACK').catch(() => undefined);
    locker.release();
  }
  await sink.close();
  const { rows } = await db.pool.query(`SELECT 'calls' AS t, writer, seq::int, request_id FROM ${db.schema}.calls UNION ALL SELECT 'payloads', writer, seq::int, request_id FROM ${db.schema}.payloads ORDER BY 1, 2, 3`);
  t.same(rows, [
    { t: 'calls', writer: 'w1', seq: 1, request_id: 'c1' },
    { t: 'payloads', writer: 'w1/bodies', seq: 1, request_id: 'p0' },
    { t: 'payloads', writer: 'w1/bodies', seq: 2, request_id: 'p1' },
  ]);
});

t.test('audit lanes: both chains are keyed, witnessed and verified; the witness is closed once', async (t) => {
  const db = await withTestDatabase(t);
  const file = tempFile('lanes-witness.jsonl');
  const files = createFileWitness(file);
  let closes = 0;
  const close = files.close.bind(files);
  files.close = () => ((closes += 1), close());
  const witness = createWitness({ key: K1, sinks: [files], everyRows: 1, everyMs: 60_000 });
  const sink = createLanedAuditSink({ pool: db.pool, schema: db.schema, batchSize: 4, batchDelayMs: 1, commitDeadlineMs: 10_000, writer: 'w1', chainKey: K1, observer: witness });
  await Promise.all(Array.from({ length: 20 }, (_, i) => sink.record(i % 2 ? callEvent({ request_id: `r${i}` }) : payloadEvent({ request_id: `r${i}` }))));
  t.same(sink.stats().rows, 20);
  await sink.close();
  t.equal(closes, 1, 'the shared witness is closed once, after both lanes');
  const lines = readLines(file);
  const heads = lines.filter(Boolean).map((l) => JSON.parse(l) as { writer: string; seq: number });
  t.same([...new Set(heads.map((h) => h.writer))].sort(), ['w1', 'w1/bodies'], 'each chain has signed heads in the witness');
  t.same(Math.max(...heads.filter((h) => h.writer === 'w1').map((h) => h.seq)), 10);
  const report = await verifyAudit(db.pool, { schema: db.schema, keyring: createKeyring(K1), witness: lines });
  t.ok(report.ok, 'verify vouches for both chains');
  t.same(report.writers.map((w) => [w.writer, w.rows]), [['w1', 10], ['w1/bodies', 10]]);
  t.same(report.witness?.unwitnessed_writers, []);
});

t.test('audit lanes: large bodies commit in batches of about a MiB, small ones together', async (t) => {
  const db = await withTestDatabase(t);
  const sink = createLanedAuditSink({ pool: db.pool, schema: db.schema, batchSize: 64, batchDelayMs: 5, commitDeadlineMs: 10_000, writer: 'w1' });
  const big = 'b'.repeat(700 * 1024);
  await Promise.all([
    ...Array.from({ length: 3 }, (_, i) => sink.record(payloadEvent({ request_id: `big${i}`, masked_body: big }))),
    ...Array.from({ length: 10 }, (_, i) => sink.record(payloadEvent({ request_id: `small${i}`, masked_body: 'x' }))),
  ]);
  await sink.close();
  const { rows } = await db.pool.query(`SELECT request_id, xmin::text AS tx FROM ${db.schema}.payloads ORDER BY seq`);
  const txOf = (id: string) => rows.find((r) => r.request_id === id)!.tx;
  t.equal(rows.length, 13, 'every body committed');
  t.equal(new Set(['big0', 'big1', 'big2'].map(txOf)).size, 3, 'no two 700 KiB bodies share a commit');
  t.ok(new Set(rows.filter((r) => String(r.request_id).startsWith('small')).map((r) => r.tx)).size <= 2, 'small bodies share commits');
});
