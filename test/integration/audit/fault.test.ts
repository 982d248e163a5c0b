import t from 'tap';
import pg from 'pg';
import { createPostgresAuditSink } from '../../../src/audit/postgres-sink.js';
import { verifyAudit } from '../../../src/audit/verify.js';
import { createTcpFault, withTestDatabase } from '../../helpers/db.js';
import { callEvent } from './fixtures/events.js';

const DEADLINE = 400;

t.test('audit sink: database unreachable → audit_unavailable within the deadline, never resolved', async (t) => {
  const db = await withTestDatabase(t);
  const url = new URL(db.url);
  url.port = '1'; // nothing listens there
  const pool = new pg.Pool({ connectionString: url.toString(), max: 2 });
  t.teardown(() => pool.end());
  const sink = createPostgresAuditSink({ pool, schema: db.schema, batchSize: 8, batchDelayMs: 2, commitDeadlineMs: DEADLINE, writer: 'w' });
  const started = Date.now();
  const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => sink.record(callEvent({ request_id: `r${i}` }))));
  t.ok(Date.now() - started < DEADLINE + 2_000, 'answered around the deadline, not after a connect timeout');
  t.same(new Set(results.map((r) => (r.status === 'rejected' ? (r.reason as { code: string }).code : 'resolved'))), new Set(['audit_unavailable']));
  await sink.close();
});

t.test('audit sink: Postgres cut mid-load → refusals, no early resolve, recovery, chain intact', async (t) => {
  const db = await withTestDatabase(t);
  const fault = await createTcpFault(db.url);
  t.teardown(() => fault.close());
  const pool = new pg.Pool({ connectionString: fault.url, max: 4 });
  pool.on('error', () => undefined);
  t.teardown(() => pool.end());
  const sink = createPostgresAuditSink({ pool, schema: db.schema, batchSize: 16, batchDelayMs: 2, commitDeadlineMs: DEADLINE, writer: 'w' });

  const acknowledged: string[] = [];
  const refused: string[] = [];
  const codes = new Set<string>();
  const fire = (prefix: string, n: number) =>
    Promise.all(
      Array.from({ length: n }, (_, i) =>
        sink.record(callEvent({ request_id: `${prefix}${i}` })).then(
          () => acknowledged.push(`${prefix}${i}`),
          (e: { code?: string }) => {
            codes.add(e.code ?? 'no code');
            refused.push(`${prefix}${i}`);
          },
        ),
      ),
    );

  await fire('before-', 50);
  const during = fire('during-', 50);
  await fault.down();
  await during;
  await fire('down-', 30);
  t.ok(refused.length >= 30, `refused while down (${refused.length})`);
  t.same([...codes], ['audit_unavailable'], 'every refusal is audit_unavailable');
  t.notOk(acknowledged.some((id) => id.startsWith('down-')), 'nothing acknowledged while the database is unreachable');

  await fault.up();
  // The first commit after the cut also opens a new connection: wait until one goes through, then
  // ask the same of a burst (a loaded machine may miss the 400 ms deadline on that first one).
  const probeEnd = Date.now() + 20_000;
  for (let i = 0; ; i++) {
    const ok = await sink.record(callEvent({ request_id: `probe-${i}` })).then(() => true, () => false);
    if (ok) {
      acknowledged.push(`probe-${i}`);
      break;
    }
    if (Date.now() > probeEnd) break;
  }
  const recovered = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => sink.record(callEvent({ request_id: `after-${i}` }))));
  t.ok(recovered.every((r) => r.status === 'fulfilled'), 'recovers by itself once Postgres is back');
  await sink.close();

  const { rows } = await db.pool.query<{ request_id: string }>(`SELECT request_id FROM ${db.schema}.calls`);
  const stored = new Set(rows.map((r) => r.request_id));
  t.same(acknowledged.filter((id) => !stored.has(id)), [], 'every acknowledged record is committed');
  t.ok((await verifyAudit(db.pool, { schema: db.schema })).ok, 'the chain survived the failed batches');
});
