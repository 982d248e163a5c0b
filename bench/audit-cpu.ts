/**
 * Node CPU per audit row on the group-commit path, stage by stage, without Postgres: building the
 * row's fields, chaining (SHA-256, plus the HMAC with a chain key), building the batch statement and
 * turning its parameters into wire text as node-postgres does, and the OTLP witness export (to a local
 * collector that discards). CPU time (process.cpuUsage), so a loaded machine slows it less than it
 * does wall-clock rows/s. Run: `npx tsx bench/audit-cpu.ts` (BENCH_AUDIT_CPU_BATCHES, default 200).
 */
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import type { CallEvent } from '../src/audit/events.js';
import { batchStatement } from '../src/audit/insert-sql.js';
import { createOtlpWitness } from '../src/audit/otlp-witness.js';
import { chainRows, eventFields, GENESIS_HASH, tableOf, type ChainHead } from '../src/audit/rows.js';
import { headMac } from '../src/audit/chain-key.js';
import { createWitness } from '../src/audit/witness.js';
import { benchCallEvent } from './lib/audit-event.js';

// node-postgres's own parameter serialiser (arrays become array literals here), untyped in @types/pg.
const pgUtils = createRequire(import.meta.url)('pg/lib/utils.js') as { prepareValue(v: unknown): unknown };

const BATCH = 1000;
const KEY = { id: 'bench', key: randomBytes(32).toString('hex') };

const event = benchCallEvent;

/** CPU µs (user + system) per row of `fn` run over `batches` batches of BATCH rows. */
function cpuPerRow(batches: number, fn: (b: number) => void): number {
  for (let b = 0; b < Math.min(20, batches); b++) fn(b); // warm the JIT
  const start = process.cpuUsage();
  for (let b = 0; b < batches; b++) fn(b);
  const used = process.cpuUsage(start);
  return (used.user + used.system) / (batches * BATCH);
}

export interface AuditCpuFigures {
  /** CPU µs per row, by stage. */
  readonly fieldsUs: number;
  readonly chainPlainUs: number;
  readonly chainKeyedUs: number;
  readonly statementUs: number;
  readonly exportUs: number;
  readonly totalKeyedUs: number;
}

export async function run(batches = Number(process.env.BENCH_AUDIT_CPU_BATCHES ?? 200)): Promise<AuditCpuFigures> {
  const events = Array.from({ length: BATCH }, (_, i) => event(i));
  const fields = events.map((e) => ({ table: tableOf(e), fields: eventFields(e) }));
  let head: ChainHead = { writer: 'bench', seq: 0, hash: GENESIS_HASH, recorded_at: new Date().toISOString() };
  const chained = chainRows(head, fields, new Date(), KEY);

  const fieldsUs = cpuPerRow(batches, () => {
    for (const e of events) eventFields(e);
  });
  const chainPlainUs = cpuPerRow(batches, () => void chainRows(head, fields, new Date()));
  const chainKeyedUs = cpuPerRow(batches, () => {
    const c = chainRows(head, fields, new Date(), KEY);
    headMac(KEY, c.head);
    head = c.head;
  });
  const statementUs = cpuPerRow(batches, () => {
    const st = batchStatement('keyward', chained.rows, 0, chained.head, { key_id: KEY.id, mac: 'x' }, 2000);
    let bytes = 0;
    for (const v of st.values) {
      const text = pgUtils.prepareValue(v);
      if (typeof text === 'string') bytes += Buffer.byteLength(text);
    }
    if (bytes === 0) throw new Error('no parameters');
  });

  // The export: everything from committed() to the collector's 200 (the HTTP request included).
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/logs`;
  const otlp = createOtlpWitness({ endpoint: url, queueSize: batches * BATCH + 1000, batchSize: 512, intervalMs: 1000 });
  const witness = createWitness({ key: KEY, sinks: [otlp], everyRows: 1000, everyMs: 10_000 });
  const start = process.cpuUsage();
  for (let b = 0; b < batches; b++) witness.committed(chained.rows, chained.head);
  await witness.close();
  const used = process.cpuUsage(start);
  server.close();
  if (otlp.dropped() > 0) throw new Error(`export dropped ${otlp.dropped()} records`);
  const exportUs = (used.user + used.system) / (batches * BATCH);

  const r = (n: number) => Math.round(n * 100) / 100;
  return {
    fieldsUs: r(fieldsUs),
    chainPlainUs: r(chainPlainUs),
    chainKeyedUs: r(chainKeyedUs),
    statementUs: r(statementUs),
    exportUs: r(exportUs),
    totalKeyedUs: r(fieldsUs + chainKeyedUs + statementUs + exportUs),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(JSON.stringify(await run(), null, 2));
}
