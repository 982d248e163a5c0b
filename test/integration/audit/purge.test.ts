import t from 'tap';
import { createPostgresAuditSink } from '../../../src/audit/postgres-sink.js';
import { purgeAudit } from '../../../src/audit/purge.js';
import { verifyAudit } from '../../../src/audit/verify.js';
import { withTestDatabase } from '../../helpers/db.js';
import { callEvent, payloadEvent } from './fixtures/events.js';

const KEY = 'checkpoint-key-0123456789abcdef';

async function seed(db: { pool: import('pg').Pool; schema: string }) {
  // A clock we move across months: recorded_at decides the partition.
  let now = new Date('2025-01-15T10:00:00Z');
  const sinks = ['w1', 'w2'].map((writer) =>
    createPostgresAuditSink({ pool: db.pool, schema: db.schema, batchSize: 50, batchDelayMs: 1, commitDeadlineMs: 5000, writer, now: () => now }),
  );
  for (const month of ['2025-01-15', '2025-02-15', '2025-03-15']) {
    now = new Date(`${month}T10:00:00Z`);
    for (const [i, sink] of sinks.entries()) {
      await Promise.all([sink.record(callEvent({ request_id: `${month}-${i}` })), sink.record(payloadEvent({ request_id: `${month}-${i}` }))]);
    }
  }
  await Promise.all(sinks.map((s) => s.close()));
}

t.test('audit purge: drops whole old months, leaves signed checkpoints, verification still passes', async (t) => {
  const db = await withTestDatabase(t);
  await seed(db);
  const dry = await purgeAudit(db.pool, { schema: db.schema, before: new Date('2025-03-01T00:00:00Z'), dryRun: true, checkpointKey: KEY });
  t.same(dry.partitions, ['approval_events_p2025_01', 'approval_events_p2025_02', 'calls_p2025_01', 'calls_p2025_02', 'payloads_p2025_01', 'payloads_p2025_02']);
  t.equal((await db.pool.query(`SELECT count(*)::int AS n FROM ${db.schema}.calls`)).rows[0].n, 6, 'dry run changes nothing');

  const report = await purgeAudit(db.pool, { schema: db.schema, before: new Date('2025-03-01T00:00:00Z'), checkpointKey: KEY });
  t.same(report.checkpoints.map((c) => [c.writer, c.seq]), [['w1', 4], ['w2', 4]]);
  const left = await db.pool.query(`SELECT request_id FROM ${db.schema}.calls ORDER BY request_id`);
  t.same(left.rows.map((r) => r.request_id), ['2025-03-15-0', '2025-03-15-1']);

  const verified = await verifyAudit(db.pool, { schema: db.schema, checkpointKey: KEY });
  t.ok(verified.ok, 'chains resume from their checkpoints');
  t.same(verified.writers.map((w) => [w.writer, w.checkpoint_seq, w.first_seq, w.last_seq]), [['w1', 4, 5, 6], ['w2', 4, 5, 6]]);

  // A second purge with nothing left to drop is a no-op; a later one chains its checkpoints on.
  t.same((await purgeAudit(db.pool, { schema: db.schema, before: new Date('2025-03-01T00:00:00Z'), checkpointKey: KEY })).partitions, []);
});

t.test('audit purge: tampering after a purge is detected; so is a forged checkpoint', async (t) => {
  const db = await withTestDatabase(t);
  await seed(db);
  await purgeAudit(db.pool, { schema: db.schema, before: new Date('2025-02-01T00:00:00Z'), checkpointKey: KEY });
  t.ok((await verifyAudit(db.pool, { schema: db.schema, checkpointKey: KEY })).ok);

  await db.pool.query(`ALTER TABLE ${db.schema}.payloads DISABLE TRIGGER USER`);
  await db.pool.query(`UPDATE ${db.schema}.payloads SET masked_body = 'edited' WHERE request_id = '2025-02-15-1'`);
  await db.pool.query(`ALTER TABLE ${db.schema}.payloads ENABLE TRIGGER USER`);
  const tampered = await verifyAudit(db.pool, { schema: db.schema, checkpointKey: KEY });
  t.same(tampered.breaks, [{ writer: 'w2', seq: 4, request_id: '2025-02-15-1', table: 'payloads', reason: 'hash_mismatch' }]);

  // Someone drops February for w1 and writes an unsigned checkpoint to hide it.
  await db.pool.query(`ALTER TABLE ${db.schema}.chain_checkpoints DISABLE TRIGGER USER`);
  await db.pool.query(`UPDATE ${db.schema}.chain_checkpoints SET seq = 4 WHERE writer = 'w1'`);
  await db.pool.query(`ALTER TABLE ${db.schema}.chain_checkpoints ENABLE TRIGGER USER`);
  const forged = await verifyAudit(db.pool, { schema: db.schema, checkpointKey: KEY });
  t.match(forged.breaks, [{ table: 'chain_checkpoints', writer: 'w1', reason: 'checkpoint_hash_mismatch' }]);
});

t.test('audit purge: the API itself refuses without a checkpoint key (audit_checkpoint_key_required), and drops nothing', async (t) => {
  const db = await withTestDatabase(t);
  await seed(db);
  const before = new Date('2025-03-01T00:00:00Z');
  for (const checkpointKey of [undefined, '']) {
    const options = { schema: db.schema, before, ...(checkpointKey === undefined ? {} : { checkpointKey }) } as Parameters<typeof purgeAudit>[1];
    await t.rejects(purgeAudit(db.pool, options), { code: 'audit_checkpoint_key_required' }, `checkpointKey ${JSON.stringify(checkpointKey)}`);
    await t.rejects(purgeAudit(db.pool, { ...options, dryRun: true }), { code: 'audit_checkpoint_key_required' }, 'a dry run too');
  }
  t.equal((await db.pool.query(`SELECT count(*)::int AS n FROM ${db.schema}.calls`)).rows[0].n, 6, 'every row is still there');
  t.equal((await db.pool.query(`SELECT count(*)::int AS n FROM ${db.schema}.chain_checkpoints`)).rows[0].n, 0, 'no checkpoint written');
  t.ok((await verifyAudit(db.pool, { schema: db.schema })).ok, 'the chains are whole');
  // and nothing is left locked: a purge with the key goes through at once
  t.equal((await purgeAudit(db.pool, { schema: db.schema, before, checkpointKey: KEY })).partitions.length, 6);
});
