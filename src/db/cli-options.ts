/** The `--config FILE` / `--database-url URL` pair every database command takes, resolved once. */
import type { Command } from 'commander';
import { loadConfigFile } from '../config/load.js';
import { configSchema } from '../config/schema.js';
import type { AuditConfig, DatabaseConfig } from '../config/sections/audit.js';
import { openDatabase, type Database } from './open.js';

export interface DbCliOptions {
  readonly config?: string;
  readonly databaseUrl?: string;
}

export interface DbCliContext {
  readonly database: DatabaseConfig;
  readonly audit: AuditConfig;
}

export function addDbOptions(cmd: Command): Command {
  return cmd
    .option('--config <file>', 'keyward YAML configuration (database and audit sections are used)')
    .option('--database-url <url>', 'postgres:// URL; overrides database.url and DATABASE_URL');
}

export function resolveDbContext(opts: DbCliOptions, env: NodeJS.ProcessEnv = process.env): DbCliContext {
  const cfg = opts.config ? loadConfigFile(opts.config, { env }) : configSchema.parse({});
  const database = opts.databaseUrl ? { ...cfg.database, url: opts.databaseUrl } : cfg.database;
  return { database, audit: cfg.audit };
}

export async function openFromCli(opts: DbCliOptions, env: NodeJS.ProcessEnv, migrate: boolean, grantTo?: string): Promise<{ db: Database; ctx: DbCliContext }> {
  const ctx = resolveDbContext(opts, env);
  // `db migrate` migrates whatever database.migrate says (that switch is for serve).
  const database = { ...ctx.database, ...(migrate ? { migrate: true } : {}), ...(grantTo !== undefined ? { grant_to: grantTo } : {}) };
  const db = await openDatabase(database, undefined, { env, migrate });
  return { db, ctx };
}
