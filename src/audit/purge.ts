/**
 * `keyward audit purge --before DATE`: the one privileged path that removes audit rows. It drops whole
 * monthly partitions that end on or before DATE (a DROP fires no row trigger; only the table owner may
 * do it), after recording, per writer, a checkpoint of the last purged row so the remaining chain still
 * verifies. Partitions are keyed by recorded_at, which never goes backwards within a writer, so the
 * purged rows of every writer are a prefix of its chain.
 */
import type { Pool } from 'pg';
import { KeywardError } from '../errors.js';
import { quoteIdent } from '../db/sql.js';
import { buildCheckpoints, type Checkpoint } from './checkpoint.js';
import { AUDIT_TABLES, GENESIS_HASH } from './rows.js';

export interface PurgeOptions {
  readonly schema: string;
  readonly before: Date;
  /**
   * Signs the retention checkpoints (audit.checkpoint_key). Required: an unsigned checkpoint could
   * hide any deleted range, so without it nothing is locked, written or dropped.
   */
  readonly checkpointKey: string;
  /** Report what would be dropped, change nothing. */
  readonly dryRun?: boolean;
  readonly now?: () => Date;
}

export interface PurgeReport {
  readonly partitions: readonly string[];
  readonly checkpoints: readonly Checkpoint[];
  readonly dryRun: boolean;
}

const PARTITION_NAME = /^(calls|payloads|approval_events)_p(\d{4})_(\d{2})$/;

/** Pure: the partitions (by name) whose whole month ends on or before `before`. */
export function partitionsBefore(names: readonly string[], before: Date): string[] {
  return names
    .filter((name) => {
      const m = PARTITION_NAME.exec(name);
      if (!m) return false;
      const end = Date.UTC(Number(m[2]), Number(m[3]), 1); // month index m[3] is 1-based: this is the next month
      return end <= before.getTime();
    })
    .sort();
}

export async function purgeAudit(pool: Pool, options: PurgeOptions): Promise<PurgeReport> {
  const { schema } = options;
  // Checked at run time too: JavaScript callers and `as` casts get past the type.
  if (typeof options.checkpointKey !== 'string' || options.checkpointKey.length === 0) throw new KeywardError('audit_checkpoint_key_required', 'purgeAudit called without a checkpoint key');
  const s = quoteIdent(schema);
  const now = options.now ?? (() => new Date());
  const client = await pool.connect();
  let ok = false;
  try {
    await client.query('BEGIN');
    // Writers wait while whole ranges go; nothing is inserted into a partition being dropped.
    await client.query(`LOCK TABLE ${AUDIT_TABLES.map((t) => `${s}.${quoteIdent(t)}`).join(', ')}, ${s}.chain_checkpoints IN SHARE ROW EXCLUSIVE MODE`);
    const parts = await client.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
        JOIN pg_namespace n ON n.oid = p.relnamespace WHERE n.nspname = $1 AND p.relname = ANY($2::text[])`,
      [schema, AUDIT_TABLES],
    );
    const partitions = partitionsBefore(
      parts.rows.map((r) => r.name),
      options.before,
    );
    let checkpoints: Checkpoint[] = [];
    if (partitions.length > 0) {
      const union = partitions.map((p) => `SELECT writer, seq, hash FROM ${s}.${quoteIdent(p)}`).join(' UNION ALL ');
      const last = await client.query<{ writer: string; seq: string; hash: string }>(`SELECT DISTINCT ON (writer) writer, seq, hash FROM (${union}) x ORDER BY writer, seq DESC`);
      const prev = await client.query<{ checkpoint_hash: string }>(`SELECT checkpoint_hash FROM ${s}.chain_checkpoints ORDER BY id DESC LIMIT 1`);
      const createdAt = now().toISOString();
      checkpoints = buildCheckpoints(
        prev.rows[0]?.checkpoint_hash ?? GENESIS_HASH,
        last.rows.map((r) => ({ created_at: createdAt, purged_before: options.before.toISOString(), writer: r.writer, seq: Number(r.seq), hash: r.hash })),
        options.checkpointKey,
      );
      if (!options.dryRun) {
        for (const c of checkpoints) {
          await client.query(
            `INSERT INTO ${s}.chain_checkpoints (created_at, purged_before, writer, seq, hash, prev_checkpoint_hash, checkpoint_hash, signature) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
            [c.created_at, c.purged_before, c.writer, c.seq, c.hash, c.prev_checkpoint_hash, c.checkpoint_hash, c.signature],
          );
        }
        for (const p of partitions) await client.query(`DROP TABLE ${s}.${quoteIdent(p)}`);
      }
    }
    await client.query(options.dryRun ? 'ROLLBACK' : 'COMMIT');
    ok = true;
    return { partitions, checkpoints, dryRun: options.dryRun ?? false };
  } finally {
    if (!ok) await client.query('ROLLBACK').catch(() => undefined);
    client.release(!ok);
  }
}
