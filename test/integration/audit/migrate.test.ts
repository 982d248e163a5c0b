import t from 'tap';
import pg from 'pg';
import { migrate, appRoleName, loadMigrations } from '../../../src/db/migrate.js';

const VERSIONS = loadMigrations().map((m) => m.version);
import { withTestDatabase, uniqueSchema, dropSchema } from '../../helpers/db.js';
import { createPostgresAuditSink } from '../../../src/audit/postgres-sink.js';
import { callEvent } from './fixtures/events.js';

t.test('db migrations: applied once, idempotent on re-run', async (t) => {
  const db = await withTestDatabase(t);
  t.same(db.migrations?.applied, VERSIONS);
  const again = await migrate(db.pool, { schema: db.schema });
  t.same(again.applied, [], 'nothing applied the second time');
  const { rows } = await db.pool.query(`SELECT version FROM ${db.schema}.schema_migrations ORDER BY version`);
  t.same(rows.map((r) => r.version), VERSIONS);
  const parts = await db.pool.query(`SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = $1 AND tablename LIKE 'calls_p%'`, [db.schema]);
  t.ok(parts.rows[0].n >= 3, 'monthly partitions created ahead');
});

t.test('db migrations: two replicas starting at once both succeed, each version applied once', async (t) => {
  const db = await withTestDatabase(t, { migrate: false });
  const schema = uniqueSchema();
  t.teardown(() => dropSchema(db.url, schema));
  const pools = [new pg.Pool({ connectionString: db.url, max: 2 }), new pg.Pool({ connectionString: db.url, max: 2 })];
  t.teardown(() => Promise.all(pools.map((p) => p.end())));
  const results = await Promise.all(pools.map((p) => migrate(p, { schema })));
  t.same(results.map((r) => r.applied.length).sort(), [0, VERSIONS.length]);
  const { rows } = await db.pool.query(`SELECT count(*)::int AS n FROM ${schema}.schema_migrations`);
  t.equal(rows[0].n, VERSIONS.length);
});

t.test('audit tables: append-only — UPDATE, DELETE and TRUNCATE refused, even for the owner', async (t) => {
  const db = await withTestDatabase(t);
  const sink = createPostgresAuditSink({ pool: db.pool, schema: db.schema, batchSize: 10, batchDelayMs: 1, commitDeadlineMs: 2000, writer: 'w' });
  await sink.record(callEvent());
  await sink.close();
  for (const sql of [`UPDATE ${db.schema}.calls SET decision = 'deny'`, `DELETE FROM ${db.schema}.calls`, `TRUNCATE ${db.schema}.calls`, `TRUNCATE ${db.schema}.chain_checkpoints`]) {
    await t.rejects(db.pool.query(sql), { message: /append-only/ }, sql);
  }
  const { rows } = await db.pool.query(`SELECT decision FROM ${db.schema}.calls`);
  t.same(rows, [{ decision: 'allow' }]);
});

t.test('audit role: INSERT and SELECT only on audit tables', async (t) => {
  const db = await withTestDatabase(t);
  const role = db.migrations?.appRole;
  if (!role) {
    t.comment('connecting user may not create roles: skipped');
    return;
  }
  t.equal(role, appRoleName(db.schema));
  const priv = async (table: string, p: string) =>
    (await db.pool.query(`SELECT has_table_privilege($1, $2, $3) AS ok`, [role, `${db.schema}.${table}`, p])).rows[0].ok as boolean;
  for (const table of ['calls', 'payloads', 'approval_events']) {
    t.ok(await priv(table, 'INSERT'), `${table} INSERT`);
    t.ok(await priv(table, 'SELECT'), `${table} SELECT`);
    t.notOk(await priv(table, 'UPDATE'), `${table} no UPDATE`);
    t.notOk(await priv(table, 'DELETE'), `${table} no DELETE`);
    t.notOk(await priv(table, 'TRUNCATE'), `${table} no TRUNCATE`);
  }
  // The sink works as the role: records commit, partitions are created through the definer function.
  const client = await db.pool.connect();
  t.teardown(() => client.release());
  await client.query(`SET ROLE ${role}`);
  await client.query(`SELECT ${db.schema}.ensure_partitions(now() + interval '6 months', now() + interval '7 months')`);
  await t.rejects(client.query(`DROP TABLE ${db.schema}.calls`), { code: '42501' });
});
