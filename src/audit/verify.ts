/** `keyward audit verify`: streams every chain row and checkpoint out of Postgres into the pure walker. */
import type { Pool } from 'pg';
import { streamRows } from '../db/cursor.js';
import { quoteIdent } from '../db/sql.js';
import { createChainWalker, type Anchor, type ChainBreak, type VerifyReport } from './chain-walk.js';
import { checkCheckpoints, type Checkpoint } from './checkpoint.js';
import { AUDIT_TABLES, GENESIS_HASH, rowFromDatabase, type AuditTable } from './rows.js';

export interface VerifyOptions {
  readonly schema: string;
  /** HMAC key of retention checkpoints (audit.checkpoint_key); without it signatures are not checked. */
  readonly checkpointKey?: string;
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

export async function verifyAudit(pool: Pool, options: VerifyOptions): Promise<VerifyReport> {
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
  const headRows = await pool.query<{ writer: string; seq: string }>(`SELECT writer, seq FROM ${s}.chain_heads`);
  const heads = new Map(headRows.rows.map((r) => [r.writer, Number(r.seq)]));

  const union = AUDIT_TABLES.map((t) => `SELECT '${t}' AS audit_table, writer, seq, to_jsonb(r) AS row FROM ${s}.${quoteIdent(t)} r`).join(' UNION ALL ');
  const walker = createChainWalker(anchors);
  for await (const r of streamRows<{ audit_table: AuditTable; row: Record<string, unknown> }>(pool, `${union} ORDER BY writer, seq`)) {
    walker.push(r.audit_table, rowFromDatabase(r.audit_table, r.row));
  }
  return walker.finish(heads, extra);
}
