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
}

export interface MigrateResult {
  /** Versions applied by this call (empty when the schema was already current). */
  readonly applied: number[];
  readonly current: number;
  /** Name of the INSERT/SELECT-only role, or null when the connecting user may not create roles. */
  readonly appRole: string | null;
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
      const appRole = await ensureAppRole(client, schema, log);
      const current = Math.max(0, ...migrations.map((m) => m.version));
      return { applied, current, appRole };
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
 * A NOLOGIN role with INSERT and SELECT on the audit tables (plus moving its chain head and approval
 * states), to GRANT to
 * the login user the services connect as. Skipped, with a warning, when the connecting user may not
 * create roles (managed Postgres without CREATEROLE): the trigger still refuses UPDATE and DELETE.
 */
async function ensureAppRole(client: PoolClient, schema: string, log?: DbLog): Promise<string | null> {
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
    await client.query(`GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA ${s} TO ${r}`);
    await client.query(`GRANT UPDATE ON ${s}.chain_heads TO ${r}`);
    // Approval requests change state (pending → approved → consumed); their record is approval_events.
    const approvals = await client.query(`SELECT 1 FROM pg_tables WHERE schemaname = $1 AND tablename = 'approvals'`, [schema]);
    if (approvals.rowCount) await client.query(`GRANT UPDATE ON ${s}.approvals TO ${r}`);
    await client.query(`GRANT EXECUTE ON FUNCTION ${s}.ensure_partitions(timestamptz, timestamptz) TO ${r}`);
    await client.query(`GRANT USAGE ON ALL SEQUENCES IN SCHEMA ${s} TO ${r}`);
  });
  return role;
}
