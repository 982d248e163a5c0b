/**
 * Versioned SQL migrations (src/db/migrations/NNN_name.sql), applied in order inside a session-level
 * advisory lock so replicas starting together apply each one exactly once. Each migration runs in its
 * own transaction with search_path set to the configured schema, and is recorded in schema_migrations.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import type { Pool, PoolClient } from 'pg';
import type { DbLog } from './log.js';
import { quoteIdent } from './sql.js';

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
  readonly checksum: string;
}

const MIGRATIONS_DIR = new URL('./migrations/', import.meta.url);

/** The migrations shipped with this build, in version order. */
export function loadMigrations(dir: URL = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d+_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((file) => {
      const sql = readFileSync(new URL(file, dir), 'utf8');
      const m = /^(\d+)_(.+)\.sql$/.exec(file)!;
      return { version: Number(m[1]), name: m[2]!, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
}

export interface MigrateOptions {
  readonly schema: string;
  readonly log?: DbLog;
  /** Months of partitions to create ahead of now. Default 2. */
  readonly monthsAhead?: number;
  readonly migrations?: readonly Migration[];
  /** Login role to GRANT the writer role to (database.grant_to): the role `serve` connects as. */
  readonly grantTo?: string;
}

export interface MigrateResult {
  /** Versions applied by this call (empty when the schema was already current). */
  readonly applied: number[];
  readonly current: number;
  /** Name of the least-privilege writer role, or null when the connecting user may not create roles. */
  readonly appRole: string | null;
  /** The login the writer role was granted to, if any. */
  readonly grantedTo: string | null;
}

/** Stable 64-bit advisory lock key for "migrations of this schema". */
export function migrationLockKey(schema: string): string {
  return createHash('sha256').update(`keyward.migrate:${schema}`).digest().readBigInt64BE(0).toString();
}

export function appRoleName(schema: string): string {
  return `${schema}_audit_writer`;
}

export async function migrate(pool: Pool, options: MigrateOptions): Promise<MigrateResult> {
  const { schema, log } = options;
  const s = quoteIdent(schema);
  const migrations = options.migrations ?? loadMigrations();
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1::bigint)', [migrationLockKey(schema)]);
    try {
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${s}.schema_migrations (version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
      );
      const { rows } = await client.query<{ version: number; checksum: string }>(`SELECT version, checksum FROM ${s}.schema_migrations`);
      const done = new Map(rows.map((r) => [r.version, r.checksum]));
      const applied: number[] = [];
      for (const m of migrations) {
        const known = done.get(m.version);
        if (known !== undefined) {
          if (known !== m.checksum) log?.warn({ schema, version: m.version }, 'applied migration differs from the shipped file');
          continue;
        }
        await inTransaction(client, async () => {
          await client.query(`SET LOCAL search_path TO ${s}`);
          await client.query(m.sql);
          await client.query(`INSERT INTO ${s}.schema_migrations (version, name, checksum) VALUES ($1, $2, $3)`, [m.version, m.name, m.checksum]);
        });
        applied.push(m.version);
        log?.info({ schema, version: m.version, name: m.name }, 'migration applied');
      }
      await client.query(`SELECT ${s}.ensure_partitions(now() - interval '1 month', now() + make_interval(months => $1::int))`, [options.monthsAhead ?? 2]);
      const appRole = await ensureAppRole(client, schema, log, options.grantTo);
      const current = Math.max(0, ...migrations.map((m) => m.version));
      return { applied, current, appRole, grantedTo: appRole && options.grantTo !== undefined ? options.grantTo : null };
    } finally {
      await client.query('SELECT pg_advisory_unlock($1::bigint)', [migrationLockKey(schema)]);
    }
  } finally {
    client.release();
  }
}

async function inTransaction(client: PoolClient, body: () => Promise<void>): Promise<void> {
  await client.query('BEGIN');
  try {
    await body();
    await client.query('COMMIT');
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw e;
  }
}

/**
 * A NOLOGIN role with the least a running keyward needs, to GRANT to the login the services connect as:
 * SELECT on its schema, INSERT on the audit rows and approvals, UPDATE on approval states, and its chain
 * head only through the SECURITY DEFINER functions (open_chain_head, advance_chain_head: forward only).
 * No DDL, no checkpoints, no chain_heads or schema_migrations writes. Skipped, with a warning, when the
 * connecting user may not create roles (managed Postgres without CREATEROLE): the trigger still refuses
 * UPDATE and DELETE.
 */
async function ensureAppRole(client: PoolClient, schema: string, log?: DbLog, grantTo?: string): Promise<string | null> {
  const { rows } = await client.query<{ can: boolean }>('SELECT rolsuper OR rolcreaterole AS can FROM pg_roles WHERE rolname = current_user');
  if (!rows[0]?.can) {
    log?.warn({ schema }, 'cannot create the audit writer role (no CREATEROLE); relying on the append-only trigger alone');
    return null;
  }
  const role = appRoleName(schema);
  const r = quoteIdent(role);
  const s = quoteIdent(schema);
  await inTransaction(client, async () => {
    const exists = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
    if (exists.rowCount === 0) await client.query(`CREATE ROLE ${r} NOLOGIN`);
    await client.query(`GRANT USAGE ON SCHEMA ${s} TO ${r}`);
    await client.query(`REVOKE ALL ON ALL TABLES IN SCHEMA ${s} FROM ${r}`);
    await client.query(`GRANT SELECT ON ALL TABLES IN SCHEMA ${s} TO ${r}`);
    const present = await client.query<{ tablename: string }>(`SELECT tablename FROM pg_tables WHERE schemaname = $1`, [schema]);
    const have = new Set(present.rows.map((x) => x.tablename));
    for (const t of [...APPEND_TABLES, 'approvals', 'approval_votes']) if (have.has(t)) await client.query(`GRANT INSERT ON ${s}.${quoteIdent(t)} TO ${r}`);
    // Approval requests change state (pending → approved → consumed); their record is approval_events.
    if (have.has('approvals')) await client.query(`GRANT UPDATE ON ${s}.approvals TO ${r}`);
    // Seen Slack requests are a replay filter, not a record: old ones are deleted.
    if (have.has('slack_interactions')) await client.query(`GRANT INSERT, DELETE ON ${s}.slack_interactions TO ${r}`);
    // Sign-ins and sessions of the approvals page come and go (src/approvals/sessions.ts).
    for (const t of ['approver_logins', 'approver_sessions']) if (have.has(t)) await client.query(`GRANT INSERT, DELETE ON ${s}.${quoteIdent(t)} TO ${r}`);
    for (const f of ['ensure_partitions(timestamptz, timestamptz)', 'open_chain_head(text)', 'advance_chain_head(text, bigint, bigint, text, timestamptz, text, text)', 'advance_chain_head(text, bigint, bigint, text, timestamptz, text, text, timestamptz)']) {
      await client.query(`GRANT EXECUTE ON FUNCTION ${s}.${f} TO ${r}`);
    }
    await client.query(`REVOKE ALL ON ALL SEQUENCES IN SCHEMA ${s} FROM ${r}`);
    if (grantTo !== undefined) await client.query(`GRANT ${r} TO ${quoteIdent(grantTo)}`);
  });
  return role;
}

const APPEND_TABLES = ['calls', 'payloads', 'approval_events'] as const;

/** The schema version this build needs: the highest shipped migration. */
export function requiredSchemaVersion(migrations: readonly Migration[] = loadMigrations()): number {
  return Math.max(0, ...migrations.map((m) => m.version));
}

/**
 * For `database.migrate: false`: the schema must already be at this build's version. Throws an error
 * with code `schema_outdated` naming what to run, without touching anything.
 */
export async function checkSchemaVersion(pool: Pool, schema: string, migrations?: readonly Migration[]): Promise<number> {
  const need = requiredSchemaVersion(migrations);
  let have = 0;
  try {
    const { rows } = await pool.query<{ v: number | null }>(`SELECT max(version) AS v FROM ${quoteIdent(schema)}.schema_migrations`);
    have = rows[0]?.v ?? 0;
  } catch (e) {
    if ((e as { code?: string }).code !== '42P01' && (e as { code?: string }).code !== '3F000') throw e;
  }
  if (have < need) {
    throw Object.assign(new Error(`database schema ${schema} is at version ${have}, this keyward needs ${need}: run \`keyward db migrate\` with the migration credential (database.migrate is false)`), { code: 'schema_outdated' });
  }
  return have;
}
