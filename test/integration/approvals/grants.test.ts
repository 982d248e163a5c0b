import t from 'tap';
import { appRoleName } from '../../../src/db/migrate.js';
import { withTestDatabase } from '../../helpers/db.js';

t.test('approvals: the app role may change approval states but still only append audit rows', async (t) => {
  const db = await withTestDatabase(t);
  if (db.migrations?.appRole == null) {
    t.fail('the test database user must be able to create roles (CI connects as postgres)');
    return;
  }
  const client = await db.pool.connect();
  t.teardown(() => client.release());
  const s = `"${db.schema}"`;
  await client.query(`INSERT INTO ${s}.approvals (id, fingerprint, status, request_id, issuer, subject, connection, method, path, operation_class, rule, body_sha256, approvers, min_approvals, created_at, expires_at)
    VALUES ('a1', 'f', 'pending', 'r1', 'i', 'agent', 'prod', 'POST', '/api/v1/dashboard', 'config-change', 'changes', 'x', '{sre}', 1, now(), now() + interval '1 hour')`);
  await client.query(`SET ROLE "${appRoleName(db.schema)}"`);
  try {
    await client.query(`UPDATE ${s}.approvals SET status = 'approved' WHERE id = 'a1'`);
    t.pass('UPDATE on approvals allowed');
    await t.rejects(client.query(`UPDATE ${s}.chain_checkpoints SET hash = 'x'`), { code: '42501' }, 'UPDATE on the record refused by grants');
  } finally {
    await client.query('RESET ROLE');
  }
});
