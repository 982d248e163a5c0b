import { readdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import t from 'tap';
import { createKeyring } from '../../../src/audit/chain-key.js';
import { createPostgresAuditSink } from '../../../src/audit/postgres-sink.js';
import { verifyAudit } from '../../../src/audit/verify.js';
import { migrate, requiredSchemaVersion } from '../../../src/db/migrate.js';
import { openDatabase } from '../../../src/db/open.js';
import { quoteIdent } from '../../../src/db/sql.js';
import { withTestDatabase } from '../../helpers/db.js';
import { callEvent } from './fixtures/events.js';

const LATEST_MIGRATION = Math.max(...readdirSync(new URL('../../../src/db/migrations/', import.meta.url)).map((f) => Number.parseInt(f, 10)).filter(Number.isFinite));
const KEY = { id: 'lp1', key: 'least-privilege-chain-key-0123456789ab' };

t.test('least privilege: serve as a login with no DDL rights (database.migrate: false) checks the version and writes the keyed chain', async (t) => {
  const admin = await withTestDatabase(t, { migrate: false });
  const login = `kwt_login_${randomBytes(4).toString('hex')}`;
  await admin.pool.query(`CREATE ROLE ${quoteIdent(login)} LOGIN`);
  t.teardown(async () => {
    const c = new pg.Client({ connectionString: admin.url });
    await c.connect();
    await c.query(`DROP OWNED BY ${quoteIdent(login)}`).catch(() => undefined);
    await c.query(`DROP ROLE IF EXISTS ${quoteIdent(login)}`);
    await c.end();
  });
  const asLogin = new URL(admin.url);
  asLogin.username = login;
  const config = { url: asLogin.toString(), data_dir: '.unused', embedded_port: 1, schema: admin.schema, pool_size: 2 };

  // Before `db migrate`: the login may not migrate, and a no-migrate start says what to run.
  await t.rejects(openDatabase({ ...config, migrate: true }), { code: '42501' }, 'migrating at start as this login is a permission error');
  await t.rejects(openDatabase({ ...config, migrate: false }), { code: 'schema_outdated', message: /version 0, this keyward needs \d+: run `keyward db migrate`/ });

  // The migration credential (the superuser here) applies migrations and grants the writer role.
  const m = await migrate(admin.pool, { schema: admin.schema, grantTo: login });
  t.equal(m.grantedTo, login);
  const db = await openDatabase({ ...config, migrate: false });
  t.teardown(() => db.close());
  t.equal(db.migrations, null, 'nothing applied by serve');
  t.equal(requiredSchemaVersion(), LATEST_MIGRATION, `this build needs schema version ${LATEST_MIGRATION}, its newest migration`);

  const sink = createPostgresAuditSink({ pool: db.pool, schema: db.schema, batchSize: 4, batchDelayMs: 1, commitDeadlineMs: 5000, writer: 'lp', chainKey: KEY });
  await Promise.all([1, 2, 3].map((i) => sink.record(callEvent({ request_id: `lp-${i}` }))));
  await sink.close();
  await t.rejects(db.pool.query(`UPDATE ${quoteIdent(db.schema)}.chain_heads SET seq = 0`), { code: '42501' }, 'the login cannot move a head by hand');
  await t.rejects(db.pool.query(`CREATE TABLE ${quoteIdent(db.schema)}.x (a int)`), { code: '42501' }, 'nor run DDL');
  const report = await verifyAudit(admin.pool, { schema: admin.schema, keyring: createKeyring(KEY) });
  t.ok(report.ok && report.vouched, 'the keyed chain written by the least-privilege login verifies');
  t.equal(report.rows, 3);
});
