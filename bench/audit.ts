/**
 * Audit durability cost: durable rows/s with group commit vs one transaction per row, in the same run
 * on the same database, and the latency record() adds at a steady request rate.
 * Run alone: `npx tsx bench/audit.ts` (DATABASE_URL, else an embedded Postgres in a temp folder).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CallEvent } from '../src/audit/events.js';
import { createPostgresAuditSink } from '../src/audit/postgres-sink.js';
import { openDatabase, type Database } from '../src/db/open.js';
import { quoteIdent } from '../src/db/sql.js';

export interface AuditBenchFigures {
  readonly groupCommitRowsPerSec: number;
  readonly rowAtATimeRowsPerSec: number;
  readonly speedup: number;
  /** record() latency at a steady rate, group commit on (ms). */
  readonly latencyP50Ms: number;
  readonly latencyP99Ms: number;
  readonly steadyRatePerSec: number;
}

const event = (i: number): CallEvent => ({
  kind: 'call',
  time: new Date(),
  request_id: `bench-${i}`,
  issuer: 'https://issuer.example',
  subject: `agent-${i % 50}`,
  groups: ['agents'],
  client_id: 'bench',
  connection: 'prod',
  method: 'POST',
  path: '/api/v2/series',
  operation_class: 'telemetry-write',
  decision: 'allow',
  rule: 'telemetry',
  approval_id: null,
  reason_code: null,
  dry_run: [],
  latency_ms: 0.42,
  config_version: 'bench',
});

/** Durable rows/s with `inFlight` concurrent callers, each awaiting its record() before the next. */
async function throughput(db: Database, schema: string, batchSize: number, rows: number, inFlight: number): Promise<number> {
  // Row-at-a-time is one row per transaction, one transaction at a time (the sink would otherwise
  // take up to 4 × batchSize waiting rows per commit and pipeline two commits).
  const single = batchSize === 1 ? { maxBatchRows: 1, pipeline: 1 } : {};
  const sink = createPostgresAuditSink({ pool: db.pool, schema, batchSize, batchDelayMs: batchSize === 1 ? 0 : 2, commitDeadlineMs: 30_000, writer: `bench-${batchSize}`, ...single });
  await sink.record(event(-1)); // warm: connection, chain head, partition
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < rows) await sink.record(event(next++));
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await sink.close();
  return rows / seconds;
}

async function steadyLatency(db: Database, schema: string, ratePerSec: number, seconds: number): Promise<{ p50: number; p99: number }> {
  const sink = createPostgresAuditSink({ pool: db.pool, schema, batchSize: 256, batchDelayMs: 2, commitDeadlineMs: 30_000, writer: 'bench-latency' });
  await sink.record(event(-1));
  const latencies: number[] = [];
  const pending: Promise<void>[] = [];
  const total = ratePerSec * seconds;
  const start = performance.now();
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / ratePerSec;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const t0 = performance.now();
    pending.push(sink.record(event(i)).then(() => void latencies.push(performance.now() - t0)));
  }
  await Promise.all(pending);
  await sink.close();
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!;
  return { p50: pct(0.5), p99: pct(0.99) };
}

export async function run(options: { rows?: number; rowAtATimeRows?: number } = {}): Promise<AuditBenchFigures> {
  const schema = `kwbench_${randomBytes(4).toString('hex')}`;
  const dataDir = process.env.DATABASE_URL ? null : mkdtempSync(join(tmpdir(), 'keyward-bench-pg-'));
  const db = await openDatabase({ schema, data_dir: dataDir ?? '', embedded_port: 54_400 + Math.floor(Math.random() * 500), pool_size: 4 });
  try {
    const group = await throughput(db, schema, 256, options.rows ?? 50_000, 1_000);
    const single = await throughput(db, schema, 1, options.rowAtATimeRows ?? 2_000, 1_000);
    const steady = await steadyLatency(db, schema, 2_000, 3);
    return {
      groupCommitRowsPerSec: Math.round(group),
      rowAtATimeRowsPerSec: Math.round(single),
      speedup: Math.round((group / single) * 10) / 10,
      latencyP50Ms: Math.round(steady.p50 * 100) / 100,
      latencyP99Ms: Math.round(steady.p99 * 100) / 100,
      steadyRatePerSec: 2_000,
    };
  } finally {
    await db.pool.query(`DROP SCHEMA ${quoteIdent(schema)} CASCADE`).catch(() => undefined);
    await db.pool.query(`DROP ROLE IF EXISTS ${quoteIdent(`${schema}_audit_writer`)}`).catch(() => undefined);
    await db.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const figures = await run();
  console.log(JSON.stringify(figures, null, 2));
  const pass = figures.groupCommitRowsPerSec >= 20_000 && figures.speedup >= 10;
  console.log(`audit group commit: ${figures.groupCommitRowsPerSec} rows/s vs ${figures.rowAtATimeRowsPerSec} rows/s row-at-a-time (×${figures.speedup}) — target ≥ 20000 rows/s and ≥ ×10: ${pass ? 'met' : 'NOT met'}`);
}
