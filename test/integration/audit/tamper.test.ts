import t from 'tap';
import { buildCheckpoints } from '../../../src/audit/checkpoint.js';
import { createKeyring } from '../../../src/audit/chain-key.js';
import { GENESIS_HASH, rowHash } from '../../../src/audit/rows.js';
import { verifyAudit } from '../../../src/audit/verify.js';
import { appRoleName } from '../../../src/db/migrate.js';
import { withTestDatabase } from '../../helpers/db.js';
import { asAdministrator, auditCli, callRows, CHECKPOINT_KEY, K1, K2, keyEnv, keyYaml, readLines, rehash, tempFile, writeChain } from './tamper-helpers.js';
import { callEvent } from './fixtures/events.js';
import { eventFields } from '../../../src/audit/rows.js';

const keyring = createKeyring(K1);

t.test('tamper: an intact keyed chain is vouched for; without the key verify cannot vouch (exit 3)', async (t) => {
  const db = await withTestDatabase(t);
  await writeChain(db, 5);
  const ok = await auditCli(db, keyYaml(), ['verify'], keyEnv);
  t.equal(ok.code, 0, ok.stdout + ok.stderr);
  t.match(ok.stdout, /verified 5 rows/);
  const keyless = await auditCli(db, [], ['verify']);
  t.equal(keyless.code, 3, 'non-zero: consistent is not vouched for');
  t.match(keyless.stdout, /cannot vouch: no chain key \(audit\.chain_key\)/);
  t.match(keyless.stdout, /CANNOT VOUCH/);
  t.notMatch(keyless.stdout, /verified 5 rows/);
  const rows = await callRows(db);
  t.ok(rows.every((r) => r.key_id === 'k1' && typeof r.mac === 'string'), 'every row names its key id and carries a MAC');
  const all = JSON.stringify(rows);
  t.notOk(all.includes(K1.key), 'the key itself is never stored');
});

t.test('tamper (superuser): a refused DELETE turned into allow, later rows re-hashed with the unkeyed function → mac_invalid at that row', async (t) => {
  const db = await withTestDatabase(t);
  await writeChain(db, 6);
  const rows = await callRows(db);
  const edited = rehash('calls', rows.map((r) => (r.seq === 3 ? { ...r, decision: 'allow', rule: 'reads', reason_code: null } : r)), 2);
  await asAdministrator(db, async (q) => {
    for (const r of edited.slice(2)) await q(`UPDATE $S.calls SET decision = $1, rule = $2, reason_code = $3, prev_hash = $4, hash = $5 WHERE writer = 'w1' AND seq = $6`, [r.decision, r.rule, r.reason_code, r.prev_hash, r.hash, r.seq]);
    const last = edited[edited.length - 1]!;
    await q(`UPDATE $S.chain_heads SET hash = $1 WHERE writer = 'w1'`, [last.hash]);
  });
  const unkeyed = await verifyAudit(db.pool, { schema: db.schema });
  t.ok(unkeyed.ok, 'the unkeyed chain is consistent again: this is the attack');
  t.notOk(unkeyed.vouched);
  const report = await verifyAudit(db.pool, { schema: db.schema, keyring });
  t.notOk(report.ok);
  t.match(report.breaks, [{ writer: 'w1', seq: 3, request_id: 'r3', table: 'calls', reason: 'mac_invalid' }]);
  t.equal(report.rows, 2, 'only the rows before the edit count as verified');
  const cli = await auditCli(db, keyYaml(), ['verify'], keyEnv);
  t.equal(cli.code, 1);
  t.match(cli.stdout, /broken: writer w1 seq 3 request_id r3 in calls: mac_invalid — the row MAC is wrong/);
});

t.test('tamper (superuser): newest rows deleted and the head moved back → head_mac_invalid; the witness says truncation and rollback', async (t) => {
  const db = await withTestDatabase(t);
  const witness = tempFile('witness.jsonl');
  await writeChain(db, 6, { witness });
  const rows = await callRows(db);
  const keep = rows[2]!;
  await asAdministrator(db, async (q) => {
    await q(`DELETE FROM $S.calls WHERE writer = 'w1' AND seq > 3`);
    await q(`UPDATE $S.chain_heads SET seq = 3, hash = $1, recorded_at = $2 WHERE writer = 'w1'`, [keep.hash, keep.recorded_at]);
  });
  t.ok((await verifyAudit(db.pool, { schema: db.schema })).ok, 'unkeyed, the shorter chain looks whole');
  const keyed = await verifyAudit(db.pool, { schema: db.schema, keyring });
  t.match(keyed.breaks, [{ writer: 'w1', seq: 3, table: 'chain_heads', reason: 'head_mac_invalid' }]);
  const lines = readLines(witness).filter(Boolean);
  t.equal(lines.length, 6, 'one signed head per batch in the witness file');
  const withWitness = await verifyAudit(db.pool, { schema: db.schema, keyring, witness: lines });
  t.match(withWitness.breaks, [
    { table: 'witness', writer: 'w1', seq: 4, reason: 'witness_truncation' },
    { table: 'witness', writer: 'w1', seq: 3, reason: 'witness_rollback' },
  ]);
  const cli = await auditCli(db, keyYaml(), ['verify', '--witness', witness], keyEnv);
  t.equal(cli.code, 1);
  t.match(cli.stdout, /witness_truncation — rows the witness saw are gone \(truncation\)/);
  t.match(cli.stdout, /witness_rollback — the chain head is behind a head the witness saw \(rollback\)/);
  // A forged witness line (no key) is not trusted, and is reported.
  const forged = JSON.stringify({ ...JSON.parse(lines[0]!), seq: 99 });
  const r = await verifyAudit(db.pool, { schema: db.schema, keyring, witness: [...lines, forged] });
  t.match(r.breaks, [{ reason: 'witness_head_forged', seq: 99 }]);
});

t.test("tamper (keyward's own role): an invented writer with an allowed DELETE → mac_invalid, head_mac_invalid, listed as unwitnessed; heads and checkpoints out of reach", async (t) => {
  const db = await withTestDatabase(t);
  const witness = tempFile('witness.jsonl');
  await writeChain(db, 2, { witness });
  const c = await db.pool.connect();
  t.teardown(() => c.release());
  const s = `"${db.schema}"`;
  await c.query(`SET ROLE "${appRoleName(db.schema)}"`);
  try {
    const row: Record<string, unknown> = {
      ...eventFields(callEvent({ request_id: 'r-evil', method: 'DELETE', path: '/api/v1/dashboard/prod', operation_class: 'destructive', decision: 'allow', rule: 'sre-read' })),
      recorded_at: new Date().toISOString(),
      writer: 'w-evil',
      seq: 1,
      prev_hash: GENESIS_HASH,
    };
    row.hash = rowHash('calls', row as never);
    await c.query(
      `INSERT INTO ${s}.calls (recorded_at, writer, seq, prev_hash, hash, key_id, mac, time, request_id, issuer, subject, groups, client_id, connection, method, path, operation_class, decision, rule, dry_run, latency_ms, config_version)
       VALUES ($1,$2,$3,$4,$5,'k1',$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21)`,
      [row.recorded_at, row.writer, row.seq, row.prev_hash, row.hash, 'f'.repeat(64), row.time, row.request_id, row.issuer, row.subject, row.groups, row.client_id, row.connection, row.method, row.path, row.operation_class, row.decision, row.rule, JSON.stringify(row.dry_run), row.latency_ms, row.config_version],
    );
    t.pass("keyward's role can append a row (it must, to write the trail)");
    await t.rejects(c.query(`INSERT INTO ${s}.chain_heads (writer, seq, hash, recorded_at) VALUES ('w-evil', 1, $1, now())`, [row.hash]), { code: '42501' }, 'no INSERT on chain_heads');
    await t.rejects(c.query(`UPDATE ${s}.chain_heads SET seq = 1 WHERE writer = 'w1'`), { code: '42501' }, 'no UPDATE on chain_heads');
    await t.rejects(c.query(`INSERT INTO ${s}.chain_checkpoints (created_at, purged_before, writer, seq, hash, prev_checkpoint_hash, checkpoint_hash) VALUES (now(), now(), 'w1', 1, 'x', 'x', 'x')`), { code: '42501' }, 'no INSERT on chain_checkpoints');
    await t.rejects(c.query(`SELECT ${s}.advance_chain_head('w1', 2, 1, 'x', now(), null, null)`), { code: '42501' }, 'the write path only moves a head forward');
    await t.rejects(c.query(`CREATE TABLE ${s}.x (a int)`), { code: '42501' }, 'no DDL');
    // What the role can do through the write path: open a head for its invented writer and move it forward.
    await c.query(`SELECT ${s}.open_chain_head('w-evil')`);
    await c.query(`SELECT ${s}.advance_chain_head('w-evil', 0, 1, $1, $2, 'k1', $3)`, [row.hash, row.recorded_at, 'e'.repeat(64)]);
  } finally {
    await c.query('RESET ROLE');
  }
  const report = await verifyAudit(db.pool, { schema: db.schema, keyring, witness: readLines(witness) });
  t.notOk(report.ok);
  t.match(report.breaks, [{ writer: 'w-evil', seq: 1, request_id: 'r-evil', table: 'calls', reason: 'mac_invalid' }]);
  t.same(report.witness?.unwitnessed_writers, ['w-evil'], 'the witness has no record of it');
  t.ok(report.writers.find((w) => w.writer === 'w1')?.ok, 'the real writer still verifies');
  const cli = await auditCli(db, keyYaml(), ['verify', '--witness', witness], keyEnv);
  t.equal(cli.code, 1);
  t.match(cli.stdout, /writer w-evil seq 1 request_id r-evil in calls: mac_invalid/);
  t.match(cli.stdout, /writers the witness has never seen: w-evil/);
});

t.test('tamper (superuser): an invented writer without a head is listed as a writer keyward has no record of', async (t) => {
  const db = await withTestDatabase(t);
  await writeChain(db, 2);
  await asAdministrator(db, async (q) => {
    await q(`INSERT INTO $S.calls SELECT * FROM $S.calls WHERE writer = 'w1'`.replace('SELECT *', `SELECT recorded_at, 'ghost', seq, prev_hash, hash, time, request_id, issuer, subject, groups, client_id, connection, method, path, operation_class, decision, rule, approval_id, reason_code, dry_run, latency_ms, config_version, key_id, mac`));
  });
  const report = await verifyAudit(db.pool, { schema: db.schema, keyring });
  t.same(report.unknown_writers, ['ghost']);
  t.match(report.breaks, [{ writer: 'ghost', seq: 1, reason: 'hash_mismatch' }], 'the hash covers the writer name');
});

t.test('tamper (superuser): a middle range deleted behind an unsigned checkpoint; a row before it edited is never counted as verified', async (t) => {
  const db = await withTestDatabase(t);
  await writeChain(db, 8);
  const rows = await callRows(db);
  await asAdministrator(db, async (q) => {
    await q(`DELETE FROM $S.calls WHERE writer = 'w1' AND seq BETWEEN 3 AND 5`);
    await q(`UPDATE $S.calls SET subject = 'someone-else' WHERE writer = 'w1' AND seq = 2`); // no re-hash
    const [cp] = buildCheckpoints(GENESIS_HASH, [{ created_at: new Date().toISOString(), purged_before: new Date().toISOString(), writer: 'w1', seq: 5, hash: String(rows[4]!.hash) }]);
    await q(`INSERT INTO $S.chain_checkpoints (created_at, purged_before, writer, seq, hash, prev_checkpoint_hash, checkpoint_hash, signature) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)`, [cp!.created_at, cp!.purged_before, cp!.writer, cp!.seq, cp!.hash, cp!.prev_checkpoint_hash, cp!.checkpoint_hash, cp!.signature]);
  });
  const signed = await verifyAudit(db.pool, { schema: db.schema, keyring, checkpointKey: CHECKPOINT_KEY });
  t.match(signed.breaks, [{ table: 'chain_checkpoints', writer: 'w1', seq: 5, reason: 'checkpoint_signature_invalid' }, { writer: 'w1', seq: 1, reason: 'rows_before_checkpoint' }]);
  const w1 = signed.writers.find((w) => w.writer === 'w1')!;
  t.equal(w1.rows, 0, 'nothing of this writer is counted as verified');
  t.equal(w1.skipped, 5, 'rows 1, 2 (edited) and 6-8 are reported as not verified');
  t.equal(signed.rows, 0);
  const noCheckpointKey = await verifyAudit(db.pool, { schema: db.schema, keyring });
  t.match(noCheckpointKey.breaks, [{ table: 'chain_checkpoints', reason: 'checkpoint_unsigned' }]);
  t.notOk(noCheckpointKey.vouched);
  t.match(noCheckpointKey.unvouched, [/no audit\.checkpoint_key/]);
  const cli = await auditCli(db, keyYaml([`checkpoint_key: \${env:CPK}`]), ['verify'], keyEnv);
  t.equal(cli.code, 1);
  t.match(cli.stdout, /5 not verified/);
  t.match(cli.stdout, /checkpoint_signature_invalid/);
});

t.test('audit purge refuses to run without audit.checkpoint_key', async (t) => {
  const db = await withTestDatabase(t);
  const r = await auditCli(db, keyYaml(), ['purge', '--before', '2020-01-01'], keyEnv);
  t.equal(r.code, 2);
  t.match(r.stderr, /audit\.checkpoint_key is required/);
});

t.test('key rotation: rows name their key; retired keys verify, an unknown key id is named', async (t) => {
  const db = await withTestDatabase(t);
  await writeChain(db, 2, { key: K1 });
  await writeChain(db, 2, { key: K2, from: 10 });
  const rows = await callRows(db);
  t.same(rows.map((r) => r.key_id), ['k1', 'k1', 'k2', 'k2']);
  t.ok((await verifyAudit(db.pool, { schema: db.schema, keyring: createKeyring(K2, [K1]) })).vouched, 'current k2, retired k1');
  const missing = await verifyAudit(db.pool, { schema: db.schema, keyring: createKeyring(K2) });
  t.match(missing.breaks, [{ seq: 1, reason: 'unknown_key_id' }]);
  const cli = await auditCli(db, ['chain_key:', '  id: k2', '  key: ${env:K2}', 'retired_chain_keys:', '  - id: k1', '    key: ${env:K1}'], ['verify'], keyEnv);
  t.equal(cli.code, 0, cli.stdout);
});
