/**
 * One way to reach the database: `database.url`, else DATABASE_URL, else an embedded Postgres.
 * Migrations are applied at open (unless `migrate: false`), under an advisory lock.
 */
import pg from 'pg';

// A Postgres `date` (audit_agent_activity.day) is a calendar day: node-postgres would make it a JS Date
// at local midnight, which exports print as the previous day's 23:00Z east of UTC. Keep the text.
const PG_DATE_OID = 1082;
pg.types.setTypeParser(PG_DATE_OID, (value: string) => value);
import type { DatabaseConfig } from '../config/sections/audit.js';
import { startEmbeddedPostgres, type EmbeddedServer } from './embedded.js';
import type { DbLog } from './log.js';
import { checkSchemaVersion, migrate, type MigrateResult } from './migrate.js';

export interface Database {
  readonly pool: pg.Pool;
  /** The URL connected to, with any password replaced by `***` (safe to log). */
  readonly url: string;
  readonly schema: string;
  /** What the migrations did at open; null when opened with `migrate: false`. */
  readonly migrations: MigrateResult | null;
  /** Ends the pool, then stops the embedded server if this call started it. */
  close(): Promise<void>;
}

export interface OpenOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** Apply migrations at open (default true). */
  readonly migrate?: boolean;
}

export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<unparseable database url>';
  }
}

export async function openDatabase(config: DatabaseConfig, log?: DbLog, options: OpenOptions = {}): Promise<Database> {
  const env = options.env ?? process.env;
  let embedded: EmbeddedServer | null = null;
  let url = config.url ?? env.DATABASE_URL;
  if (!url) {
    embedded = await startEmbeddedPostgres(config.data_dir, config.embedded_port, log);
    url = embedded.url;
  }
  const pool = new pg.Pool({ connectionString: url, max: config.pool_size, connectionTimeoutMillis: 5_000, idleTimeoutMillis: 30_000 });
  // An idle client losing its server must not crash the process: the next checkout reconnects.
  pool.on('error', (e) => log?.warn({ code: (e as { code?: string }).code ?? 'error' }, 'idle database connection lost'));
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await pool.end();
    if (embedded) await embedded.stop();
  };
  try {
    // options.migrate false: a reading command (the CLI); config.migrate false: a least-privilege serve.
    let migrations: MigrateResult | null = null;
    if (options.migrate === false) migrations = null;
    else if (config.migrate === false) await checkSchemaVersion(pool, config.schema);
    else migrations = await migrate(pool, { schema: config.schema, ...(log ? { log } : {}), ...(config.grant_to !== undefined ? { grantTo: config.grant_to } : {}) });
    return { pool, url: redactUrl(url), schema: config.schema, migrations, close };
  } catch (e) {
    await close().catch(() => undefined);
    throw e;
  }
}
