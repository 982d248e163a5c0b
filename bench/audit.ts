/**
 * Audit durability cost: durable rows/s with group commit vs one transaction per row, in the same run
 * on the same database, and the latency record() adds at a steady request rate.
 * Rows are keyed (audit.chain_key) and exported over OTLP to a local collector, as with a witness on.
 * Run alone: `npx tsx bench/audit.ts` (DATABASE_URL, else an embedded Postgres in a temp folder).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CallEvent } from '../src/audit/events.js';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createOtlpWitness } from '../src/audit/otlp-witness.js';
import { createPostgresAuditSink, type CommitObserver } from '../src/audit/postgres-sink.js';
import { createWitness } from '../src/audit/witness.js';
import { openDatabase, type Database } from '../src/db/open.js';
import { quoteIdent } from '../src/db/sql.js';
import { insertStatements } from '../src/audit/insert-sql.js';
import { chainRows, eventFields, GENESIS_HASH, tableOf } from '../src/audit/rows.js';
import { benchCallEvent } from './lib/audit-event.js';

export interface AuditBenchFigures {
  readonly groupCommitRowsPerSec: number;
  /** This process's CPU (user + system, µs) per group-committed row: keyward's side plus the in-process collector. Load-resistant, unlike rows/s. */
  readonly groupCommitCpuUsPerRow: number;
  /** The floor: the same rows, pre-built, as one plain INSERT per 1024 rows, one after another (no chain, no MAC, no export, no head CAS). */
  readonly plainInsertRowsPerSec: number;
  /** groupCommitRowsPerSec / plainInsertRowsPerSec, in the same run. */
  readonly ofFloor: number;
  readonly rowAtATimeRowsPerSec: number;
  readonly speedup: number;
  /** record() latency at a steady rate, group commit on (ms). */
  readonly latencyP50Ms: number;
  readonly latencyP99Ms: number;
  readonly steadyRatePerSec: number;
}

const event = benchCallEvent;

const CHAIN_KEY = { id: 'bench', key: randomBytes(32).toString('hex') };

/** As in production with a witness: every row keyed, every row and a head per 1000 rows exported over OTLP. */
function keyedAndWitnessed(otlpUrl: string): { chainKey: typeof CHAIN_KEY; observer: CommitObserver } | Record<string, never> {
  if (process.env.BENCH_AUDIT_PLAIN === '1') return {}; // the unkeyed, unexported baseline, for a ratio
  const otlp = createOtlpWitness({ endpoint: otlpUrl, queueSize: 8192, batchSize: 512, intervalMs: 1000 });
  return { chainKey: CHAIN_KEY, observer: createWitness({ key: CHAIN_KEY, sinks: [otlp], everyRows: 1000, everyMs: 10_000 }) };
}

/** A collector that accepts and discards OTLP (the export's cost is keyward's side of it). */
async function startCollector(): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/logs`, server };
}

let otlpUrl = '';

/** Durable rows/s with `inFlight` concurrent callers, each awaiting its record() before the next, and this process's CPU µs per row. */
async function throughput(db: Database, schema: string, batchSize: number, rows: number, inFlight: number): Promise<{ rowsPerSec: number; cpuUsPerRow: number }> {
  // Row-at-a-time is one row per transaction, one transaction at a time (the sink would otherwise
  // take up to 4 × batchSize waiting rows per commit and pipeline two commits).
  const single = batchSize === 1 ? { maxBatchRows: 1, pipeline: 1 } : {};
  const sink = createPostgresAuditSink({ pool: db.pool, schema, batchSize, batchDelayMs: batchSize === 1 ? 0 : 2, commitDeadlineMs: 30_000, writer: `bench-${batchSize}`, ...single, ...keyedAndWitnessed(otlpUrl) });
  await sink.record(event(-1)); // warm: connection, chain head, partition
  let next = 0;
  const started = performance.now();
  const cpu = process.cpuUsage();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < rows) await sink.record(event(next++));
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await sink.close(); // the export of what is still queued belongs to these rows' cost
  const used = process.cpuUsage(cpu);
  return { rowsPerSec: rows / seconds, cpuUsPerRow: (used.user + used.system) / rows };
}

/** What Postgres alone does with these rows here: plain INSERTs into a copy of the calls table (same indexes). */
async function plainInsertFloor(db: Database, schema: string, rows: number): Promise<number> {
  const s = quoteIdent(schema);
  await db.pool.query(`CREATE TABLE ${s}.bench_floor (LIKE ${s}.calls INCLUDING DEFAULTS INCLUDING INDEXES)`);
  const per = 1024;
  // Every batch built before the clock starts, each with its own seq range (the primary key).
  const statements = Array.from({ length: Math.ceil(rows / per) + 1 }, (_, b) => {
    const head = { writer: 'bench-floor', seq: b * per, hash: GENESIS_HASH, recorded_at: new Date().toISOString() };
    const batch = chainRows(head, Array.from({ length: per }, (_, i) => { const e = event(i); return { table: tableOf(e), fields: eventFields(e) }; }), new Date()).rows;
    const [st] = insertStatements(schema, batch);
    return { text: st!.text.replace(`${s}."calls"`, `${s}.bench_floor`), values: st!.values, name: 'bench_floor' };
  });
  await db.pool.query(statements.pop()!); // warm
  const started = performance.now();
  for (const st of statements) await db.pool.query(st);
  return (statements.length * per) / ((performance.now() - started) / 1000);
}

async function steadyLatency(db: Database, schema: string, ratePerSec: number, seconds: number): Promise<{ p50: number; p99: number }> {
  const sink = createPostgresAuditSink({ pool: db.pool, schema, batchSize: 256, batchDelayMs: 2, commitDeadlineMs: 30_000, writer: 'bench-latency', ...keyedAndWitnessed(otlpUrl) });
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
  const collector = await startCollector();
  otlpUrl = collector.url;
  const db = await openDatabase({ schema, data_dir: dataDir ?? '', embedded_port: 54_400 + Math.floor(Math.random() * 500), pool_size: 4 });
  try {
    const group = await throughput(db, schema, 256, options.rows ?? Number(process.env.BENCH_AUDIT_ROWS ?? 50_000), 1_000);
    const floor = await plainInsertFloor(db, schema, options.rows ?? Number(process.env.BENCH_AUDIT_ROWS ?? 50_000));
    const single = (await throughput(db, schema, 1, options.rowAtATimeRows ?? 2_000, 1_000)).rowsPerSec;
    const steady = await steadyLatency(db, schema, 2_000, Number(process.env.BENCH_AUDIT_STEADY_S ?? 3));
    return {
      groupCommitRowsPerSec: Math.round(group.rowsPerSec),
      groupCommitCpuUsPerRow: Math.round(group.cpuUsPerRow * 10) / 10,
      plainInsertRowsPerSec: Math.round(floor),
      ofFloor: Math.round((group.rowsPerSec / floor) * 100) / 100,
      rowAtATimeRowsPerSec: Math.round(single),
      speedup: Math.round((group.rowsPerSec / single) * 10) / 10,
      latencyP50Ms: Math.round(steady.p50 * 100) / 100,
      latencyP99Ms: Math.round(steady.p99 * 100) / 100,
      steadyRatePerSec: 2_000,
    };
  } finally {
    await db.pool.query(`DROP SCHEMA ${quoteIdent(schema)} CASCADE`).catch(() => undefined);
    await db.pool.query(`DROP ROLE IF EXISTS ${quoteIdent(`${schema}_audit_writer`)}`).catch(() => undefined);
    await db.close();
    collector.server.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const figures = await run();
  console.log(JSON.stringify(figures, null, 2));
  const pass = figures.groupCommitRowsPerSec >= 20_000 && figures.speedup >= 10;
  console.log(`audit group commit: ${figures.groupCommitRowsPerSec} rows/s vs ${figures.rowAtATimeRowsPerSec} rows/s row-at-a-time (×${figures.speedup}) — target ≥ 20000 rows/s and ≥ ×10: ${pass ? 'met' : 'NOT met'}`);
}
