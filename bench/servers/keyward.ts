import { createWriteStream, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { stringify } from 'yaml';
import type { AuditEvent, AuditSink } from '../../src/audit/events.js';
import { startDevIssuer } from '../../dev/dev-issuer.js';
import { migrate } from '../../src/db/migrate.js';
import { startGate } from '../../src/gate.js';

export const BENCH_SCHEMA = 'keyward_bench';
/** Format-valid, never real. */
const FAKE_KEYS = { api: 'f1e2d3c4b5a60718293a4b5c6d7e8f90', app: 'e1d2c3b4a5f60718293a4b5c6d7e8f9012345678' };

const BENCH_AGENTS = 8;

export type AuditMode = 'postgres' | 'memory';

export interface BenchGate {
  authz: string;
  proc: string | null;
  /** Distinct agents (subjects), so per-identity bounds see a fleet rather than one agent. */
  agentTokens: string[];
  audit: AuditMode;
  /** The bench's own set-up before the gate starts (schema, migrations, issuer, tokens): not part of the gate's start. */
  prepMs: number;
  auditedCalls(): Promise<number>;
  stop(): Promise<void>;
}

/** The bench's rows are thrown away with their schema; the append-only triggers forbid DELETE, not DROP. */
export async function dropBenchSchema(): Promise<void> {
  const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
  try {
    await client.query(`drop schema if exists ${BENCH_SCHEMA} cascade`);
  } finally {
    await client.end();
  }
}

async function migrateBenchSchema(): Promise<void> {
  const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 1 });
  try {
    await migrate(pool, { schema: BENCH_SCHEMA });
  } finally {
    await pool.end();
  }
}

/** Counts events, keeps nothing: the in-memory stand-in when no Postgres is reachable. */
function countingSink(): AuditSink & { count: number } {
  const sink = {
    count: 0,
    async record(_event: AuditEvent) {
      sink.count++;
    },
    async close() {},
  };
  return sink;
}

/**
 * `BENCH_BUDGETS=redis|memory`: one budget over every bench call, two windows (per second and per day)
 * set so high they never refuse, counted in Redis (REDIS_URL or 127.0.0.1:6379) or in this replica.
 */
function benchBudgets(): Record<string, unknown> {
  const mode = process.env.BENCH_BUDGETS;
  if (!mode) return {};
  if (mode !== 'redis' && mode !== 'memory') throw new Error(`BENCH_BUDGETS is redis or memory, not ${mode}`);
  const budgets = [{ name: 'bench-fleet', match: { groups: ['agents'] }, limits: [{ window: '1s', requests: 1e9 }, { window: '1d', requests: 1e12 }] }];
  const store = mode === 'redis' ? { budget_store: { redis_url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', key_prefix: `keyward-bench-${process.pid}:` } } : {};
  return { budgets, ...store };
}

/**
 * A full keyward replica as production runs it: config file, a JWKS issuer over HTTP (fetched once,
 * then cached by jose), decision log lines written to /dev/null, and audit rows group-committed to
 * Postgres (DATABASE_URL) in their own schema, or counted in memory.
 */
export async function startBenchGate(audit: AuditMode): Promise<BenchGate> {
  const prepStarted = performance.now();
  // A crashed earlier run may have left rows: start from an empty schema, migrated here as
  // `keyward db migrate` would (once per upgrade), so the gate starts as a replica restarts:
  // `database.migrate: false`, checking the schema version only.
  if (audit === 'postgres') {
    await dropBenchSchema();
    await migrateBenchSchema();
  }
  const issuer = await startDevIssuer();
  const agentTokens = await Promise.all(Array.from({ length: BENCH_AGENTS }, (_, i) => issuer.mint({ subject: i === 0 ? 'bench-agent' : `bench-agent-${i}`, groups: ['agents'], ttl: 3600 })));
  const prepMs = performance.now() - prepStarted;
  const dir = mkdtempSync(join(tmpdir(), 'keyward-bench-'));
  const configPath = join(dir, 'keyward.yaml');
  writeFileSync(
    configPath,
    stringify({
      logging: { level: 'info' },
      database: { schema: BENCH_SCHEMA, migrate: false },
      // `npm run bench -- --mask-threads=0` measures masking on the main thread (the state before the pool).
      ...(process.env.BENCH_MASK_THREADS ? { mask_pool: { threads: Number(process.env.BENCH_MASK_THREADS) } } : {}),
      // `--heap-growing=0` measures V8's own heap heuristic (the state before `process.heap_growing_percent`).
      ...(process.env.BENCH_HEAP_GROWING ? { process: { heap_growing_percent: Number(process.env.BENCH_HEAP_GROWING) } } : {}),
      identity: { issuers: [{ issuer: issuer.issuer, audiences: ['keyward'] }] },
      connections: [{ name: 'prod', site: 'datadoghq.com', api_key: '${env:BENCH_DD_API}', app_key: '${env:BENCH_DD_APP}', groups: ['agents'] }],
      ...benchBudgets(),
      policy: {
        default: 'deny',
        rules: [
          { name: 'reads', match: { class: 'read' }, action: 'allow' },
          { name: 'telemetry', match: { class: 'telemetry-write' }, action: 'allow' },
        ],
      },
    }),
  );
  const memory = audit === 'memory' ? countingSink() : null;
  const gate = await startGate({
    configPath,
    listen: { authz: '127.0.0.1:0', proc: '127.0.0.1:0', admin: '127.0.0.1:0' },
    logDestination: createWriteStream('/dev/null'),
    env: { ...process.env, BENCH_DD_API: FAKE_KEYS.api, BENCH_DD_APP: FAKE_KEYS.app },
    ...(memory ? { audit: memory } : {}),
  });
  return {
    prepMs,
    authz: gate.authzAddress,
    proc: gate.procAddress || null,
    agentTokens,
    audit,
    async auditedCalls() {
      if (memory) return memory.count;
      const res = await gate.database!.pool.query<{ n: string }>(`select count(*)::text as n from ${BENCH_SCHEMA}.calls`);
      return Number(res.rows[0]?.n ?? 0);
    },
    async stop() {
      await gate.stop();
      await issuer.close();
      if (!memory) await dropBenchSchema();
    },
  };
}
