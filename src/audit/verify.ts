/** `keyward audit verify`: streams every chain row and checkpoint out of Postgres into the pure walker. */
import type { Pool } from 'pg';
import { streamRows } from '../db/cursor.js';
import { quoteIdent } from '../db/sql.js';
import type { ChainKeyring } from './chain-key.js';
import { createChainWalker, type Anchor, type ChainBreak, type HeadRecord, type VerifyReport } from './chain-walk.js';
import { compareWithWitness, witnessFloor, type WriterInDatabase } from './witness-check.js';
import { checkCheckpoints, type Checkpoint } from './checkpoint.js';
import { AUDIT_TABLES, GENESIS_HASH, rowFromDatabase, type AuditTable } from './rows.js';

export interface VerifyOptions {
  readonly schema: string;
  /** HMAC key of retention checkpoints (audit.checkpoint_key); without it signatures are not checked. */
  readonly checkpointKey?: string;
  /** Chain keys (audit.chain_key + retired_chain_keys); without them the report cannot vouch. */
  readonly keyring?: ChainKeyring;
  /** Lines of a witness file (JSON lines of signed heads) to hold the database to. */
  readonly witness?: readonly string[];
}

export interface FullVerifyReport extends VerifyReport {
  /** Writers the witness has seen, and writers in the database it has never seen (null without a witness). */
  readonly witness: { readonly writers: number; readonly unwitnessed_writers: readonly string[]; readonly forged_heads: number } | null;
}

export async function loadCheckpoints(pool: Pool, schema: string): Promise<Checkpoint[]> {
  const { rows } = await pool.query<Record<string, unknown>>(
    `SELECT created_at, purged_before, writer, seq, hash, prev_checkpoint_hash, checkpoint_hash, signature FROM ${quoteIdent(schema)}.chain_checkpoints ORDER BY id`,
  );
  return rows.map((r) => ({
    created_at: (r.created_at as Date).toISOString(),
    purged_before: (r.purged_before as Date).toISOString(),
    writer: String(r.writer),
    seq: Number(r.seq),
    hash: String(r.hash),
    prev_checkpoint_hash: String(r.prev_checkpoint_hash),
    checkpoint_hash: String(r.checkpoint_hash),
    signature: r.signature === null ? null : String(r.signature),
  }));
}

export async function verifyAudit(pool: Pool, options: VerifyOptions): Promise<FullVerifyReport> {
  const s = quoteIdent(options.schema);
  const checkpoints = await loadCheckpoints(pool, options.schema);
  const extra: ChainBreak[] = [];
  const cpProblem = checkCheckpoints(GENESIS_HASH, checkpoints, options.checkpointKey);
  if (cpProblem) {
    const c = checkpoints[cpProblem.index]!;
    extra.push({ writer: c.writer, seq: c.seq, request_id: null, table: 'chain_checkpoints', reason: cpProblem.problem });
  }
  const anchors = new Map<string, Anchor>();
  for (const c of checkpoints) {
    const prev = anchors.get(c.writer);
    if (!prev || c.seq > prev.seq) anchors.set(c.writer, { seq: c.seq, hash: c.hash });
  }
  const unsigned = checkpoints.find((c) => c.signature === null);
  if (options.checkpointKey === undefined && checkpoints.length > 0) {
    if (unsigned) extra.push({ writer: unsigned.writer, seq: unsigned.seq, request_id: null, table: 'chain_checkpoints', reason: 'checkpoint_unsigned' });
  }
  const headRows = await pool.query<{ writer: string; seq: string; hash: string; recorded_at: Date; key_id: string | null; mac: string | null }>(
    `SELECT writer, seq, hash, recorded_at, key_id, mac FROM ${s}.chain_heads`,
  );
  const heads = new Map<string, HeadRecord>(
    headRows.rows.map((r) => [r.writer, { seq: Number(r.seq), hash: r.hash, recorded_at: r.recorded_at.toISOString(), key_id: r.key_id, mac: r.mac }]),
  );

  let witness: FullVerifyReport['witness'] = null;
  if (options.witness) {
    const floor = witnessFloor(options.witness, options.keyring);
    const inDb = new Map<string, WriterInDatabase>();
    for (const [writer, h] of floor.heads) inDb.set(writer, await writerInDatabase(pool, options.schema, writer, h.seq, heads.get(writer)?.seq ?? null));
    extra.push(...compareWithWitness(floor, inDb));
    const dbWriters = await pool.query<{ writer: string }>(`SELECT writer FROM ${s}.chain_heads UNION ${AUDIT_TABLES.map((t) => `SELECT DISTINCT writer FROM ${s}.${quoteIdent(t)}`).join(' UNION ')}`);
    witness = { writers: floor.heads.size, unwitnessed_writers: dbWriters.rows.map((r) => r.writer).filter((w) => !floor.heads.has(w)).sort(), forged_heads: floor.forged.length };
  }

  const union = AUDIT_TABLES.map((t) => `SELECT '${t}' AS audit_table, writer, seq, to_jsonb(r) AS row FROM ${s}.${quoteIdent(t)} r`).join(' UNION ALL ');
  const walker = createChainWalker(anchors, options.keyring ? { keyring: options.keyring } : {});
  for await (const r of streamRows<{ audit_table: AuditTable; row: Record<string, unknown> }>(pool, `${union} ORDER BY writer, seq`)) {
    walker.push(r.audit_table, rowFromDatabase(r.audit_table, r.row));
  }
  const report = walker.finish(heads, extra);
  const unvouched = [...report.unvouched];
  if (checkpoints.length > 0 && options.checkpointKey === undefined) unvouched.push('retention checkpoints exist but no audit.checkpoint_key was given: their signatures are unchecked');
  return { ...report, unvouched, vouched: report.vouched && unvouched.length === 0, witness };
}

async function writerInDatabase(pool: Pool, schema: string, writer: string, seq: number, headSeq: number | null): Promise<WriterInDatabase> {
  const s = quoteIdent(schema);
  const tables = AUDIT_TABLES.map((t) => `${s}.${quoteIdent(t)}`);
  const max = await pool.query<{ m: string | null }>(`SELECT max(seq) AS m FROM (${tables.map((t) => `SELECT max(seq) AS seq FROM ${t} WHERE writer = $1`).join(' UNION ALL ')}) x`, [writer]);
  const at = await pool.query<{ hash: string }>(`${tables.map((t) => `SELECT hash FROM ${t} WHERE writer = $1 AND seq = $2`).join(' UNION ALL ')} LIMIT 1`, [writer, seq]);
  return { maxSeq: max.rows[0]?.m === null || max.rows[0]?.m === undefined ? null : Number(max.rows[0].m), headSeq, hashAtWitnessed: at.rows[0]?.hash ?? null };
}
