/**
 * Test databases. DATABASE_URL when set (CI: PostgreSQL on 127.0.0.1:5432, trust auth, db `test`), else
 * one embedded Postgres per test process. Every call gets its own fresh schema (unique name), dropped —
 * with its writer role — at teardown, so parallel test files never collide.
 */
import { randomBytes } from 'node:crypto';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import tap from 'tap';
import { freePort } from './ports.js';
import { appRoleName, migrate, type MigrateResult } from '../../src/db/migrate.js';
import { quoteIdent } from '../../src/db/sql.js';
import { startEmbeddedPostgres, type EmbeddedServer } from '../../src/db/embedded.js';

export interface TestDatabase {
  /** Server URL (superuser on CI); the schema is not part of it. */
  readonly url: string;
  readonly schema: string;
  readonly pool: pg.Pool;
  /** Null when created with `migrate: false`. */
  readonly migrations: MigrateResult | null;
}

interface TeardownHost {
  teardown(fn: () => unknown): void;
}

let embedded: Promise<EmbeddedServer> | null = null;

async function serverUrl(): Promise<string> {
  if (process.env.DATABASE_URL) return process.env.DATABASE_URL;
  if (!embedded) {
    const dir = mkdtempSync(join(tmpdir(), 'keyward-pg-'));
    chmodSync(dir, 0o755); // as root, Postgres runs as the postgres user and must reach its folder
    embedded = freePort().then((port) => startEmbeddedPostgres(join(dir, 'data'), port));
    // The server child keeps the event loop alive: stop it when the file's root test ends.
    const started = embedded;
    tap.teardown(async () => {
      await (await started).stop();
      rmSync(dir, { recursive: true, force: true });
    });
  }
  return (await embedded).url;
}

export function uniqueSchema(prefix = 'kwt'): string {
  return `${prefix}_${randomBytes(6).toString('hex')}`;
}

export async function withTestDatabase(t: TeardownHost, options: { migrate?: boolean; poolSize?: number } = {}): Promise<TestDatabase> {
  const url = await serverUrl();
  const schema = uniqueSchema();
  const pool = new pg.Pool({ connectionString: url, max: options.poolSize ?? 6 });
  pool.on('error', () => undefined);
  t.teardown(async () => {
    await pool.end().catch(() => undefined);
    await dropSchema(url, schema);
  });
  const migrations = options.migrate === false ? null : await migrate(pool, { schema });
  return { url, schema, pool, migrations };
}

export async function dropSchema(url: string, schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`);
    const role = appRoleName(schema);
    const r = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role]);
    if (r.rowCount) await client.query(`DROP ROLE ${quoteIdent(role)}`);
  } finally {
    await client.end();
  }
}

/** A TCP relay in front of Postgres that a test can cut (`down()`) and restore (`up()`). */
export interface TcpFault {
  readonly url: string;
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

export async function createTcpFault(targetUrl: string): Promise<TcpFault> {
  const target = new URL(targetUrl);
  const sockets = new Set<Socket>();
  let server: Server | null = null;
  let port = 0;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const srv = createServer((inbound) => {
        const outbound = connect(Number(target.port || 5432), target.hostname);
        for (const s of [inbound, outbound]) {
          sockets.add(s);
          s.on('error', () => undefined);
          s.on('close', () => sockets.delete(s));
        }
        inbound.pipe(outbound).pipe(inbound);
      });
      srv.once('error', reject);
      srv.listen(port, '127.0.0.1', () => {
        port = (srv.address() as { port: number }).port;
        server = srv;
        resolve();
      });
    });
  const down = async () => {
    const srv = server;
    server = null;
    for (const s of sockets) s.destroy();
    if (srv) await new Promise<void>((resolve) => srv.close(() => resolve()));
  };
  await listen();
  const url = new URL(targetUrl);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  return { url: url.toString(), down, up: listen, close: down };
}
