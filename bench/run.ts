/**
 * `npm run bench`: keyward against no-op floors with real gRPC frames from h2load, plus the masking
 * and audit benchmarks when present. A table on stdout, everything in bench/results/<time>.json.
 *   --quick            1 s per figure instead of 3
 *   --audit=memory     count audit events in memory instead of group-committing to Postgres
 *   --profile          CPU profiles of the keyward process under each load, in bench/results/prof/
 *   --only=check|proc|stall  one group of gRPC figures (stall: Check p99 while 4 agents send 5 MiB bodies)
 *   --mask-threads=N   keyward's mask_pool.threads (0: masking on the main thread, as before the pool)
 *   --heap-growing=N   keyward's process.heap_growing_percent (0: V8's own heuristic, as before the setting)
 *   --tsx              run the servers from the sources through tsx instead of compiling them first
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { runCheckBench, type CheckFigures } from './check.js';
import { forkServer, type ServerChild } from './lib/child.js';
import { compileBenchServers } from './lib/compile.js';
import { findH2load } from './lib/h2load.js';
import { comparisonRows, renderTable, type Row } from './lib/report.js';
import type { BenchSettings } from './lib/scenario.js';
import { round } from './lib/stats.js';
import { runProcBench, type ProcFigures } from './proc.js';
import { runStallBench, type StallFigures } from './stall.js';

const { values: flags } = parseArgs({
  options: { quick: { type: 'boolean', default: false }, audit: { type: 'string' }, profile: { type: 'boolean', default: false }, only: { type: 'string' }, 'mask-threads': { type: 'string' }, 'heap-growing': { type: 'string' }, tsx: { type: 'boolean', default: false } },
});
const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
const resultsDir = here('./results/');

const settings: BenchSettings = {
  durationS: flags.quick ? 1 : 3,
  warmUpS: 1,
  peak: { clients: 2, streams: 32 },
  paced: { clients: 4, totalRps: 1000 },
};

interface ExtraBench {
  name: string;
  figures?: unknown;
  skipped?: string;
}

/**
 * bench/mask.ts and bench/audit.ts belong to their capabilities; each exports run(). They run
 * compiled with the servers (tsconfig.bench.json) unless --tsx: under tsx every function carries
 * esbuild's wrapper, which alone costs the CPU-bound audit and masking figures a third or more.
 */
async function runExtra(name: 'mask' | 'audit', compiled: boolean): Promise<ExtraBench> {
  const file = compiled ? here(`./results/build/bench/${name}.js`) : here(`./${name}.ts`);
  if (!existsSync(file)) return { name, skipped: 'not written yet' };
  try {
    const mod = (await import(pathToFileURL(file).href)) as { run?: () => Promise<unknown> };
    if (typeof mod.run !== 'function') return { name, skipped: 'exports no run()' };
    return { name, figures: await mod.run() };
  } catch (e) {
    return { name, skipped: `failed: ${e instanceof Error ? e.message : String(e)}` };
  }
}

function machine() {
  const h2load = execFileSync('h2load', ['--version'], { encoding: 'utf8' }).trim();
  return { cores: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', memoryGiB: round(totalmem() / 2 ** 30, 1), node: process.version, h2load };
}

async function main(): Promise<number> {
  if (!findH2load()) return 2;
  const audit = flags.audit === 'memory' || flags.audit === 'postgres' ? flags.audit : process.env.DATABASE_URL ? 'postgres' : 'memory';
  mkdirSync(resultsDir, { recursive: true });
  const cpuProfDir = flags.profile ? here('./results/prof/') : undefined;
  if (cpuProfDir) mkdirSync(cpuProfDir, { recursive: true });

  if (flags['mask-threads'] !== undefined) process.env.BENCH_MASK_THREADS = flags['mask-threads'];
  if (flags['heap-growing'] !== undefined) process.env.BENCH_HEAP_GROWING = flags['heap-growing'];
  const compiled = flags.tsx ? {} : { compiledEntry: compileBenchServers() };
  const floor = await forkServer('floor', [], compiled);
  let keyward: ServerChild;
  try {
    keyward = await forkServer('keyward', [audit], { ...compiled, ...(cpuProfDir ? { cpuProfDir } : {}) });
  } catch (e) {
    await floor.stop();
    throw e;
  }
  const idle = await keyward.stats();
  let check: CheckFigures | null = null;
  let proc: ProcFigures | { skipped: string } | null = null;
  let stall: StallFigures | null = null;
  try {
    if (!flags.only || flags.only === 'check') check = await runCheckBench(settings, floor, keyward);
    if (!flags.only || flags.only === 'stall') stall = keyward.ready.proc ? await runStallBench(settings, keyward) : null;
    if (!flags.only || flags.only === 'proc') proc = keyward.ready.proc ? await runProcBench(settings, floor, keyward) : { skipped: 'keyward has no ext_proc service yet' };
  } finally {
    await keyward.stop();
    await floor.stop();
  }
  const extras = flags.only ? [] : [await runExtra('mask', !flags.tsx), await runExtra('audit', !flags.tsx)];

  const rows: Row[] = [];
  if (check) {
    rows.push(...comparisonRows('Check peak', check.peak, { ratio: '>= 0.5' }));
    rows.push(...comparisonRows(`Check @${settings.paced.totalRps} rps`, check.paced, { latency: 'p99 <= 1.5x' }));
  }
  if (proc && 'headersOnly' in proc) {
    rows.push(...comparisonRows('ext_proc headers peak', proc.headersOnly.peak));
    rows.push(...comparisonRows(`ext_proc headers @${settings.paced.totalRps} rps`, proc.headersOnly.paced));
    if ('peak' in proc.body64k) {
      rows.push(...comparisonRows('ext_proc 64 KiB body peak', proc.body64k.peak, { ratio: '>= 0.25' }));
      rows.push(...comparisonRows(`ext_proc 64 KiB body @${proc.body64k.pacedRps} rps`, proc.body64k.paced));
    }
  }
  if (stall) {
    rows.push([`Check @${settings.paced.totalRps} rps p50 / p99 ms, alone → with ${stall.senders} × 5 MiB bodies`, '', `${stall.alone.p50Ms} / ${stall.alone.p99Ms} → ${stall.withBodies.p50Ms} / ${stall.withBodies.p99Ms}`, `${stall.p99Ratio}`, 'p99 ratio <= 2']);
  }
  rows.push(['cold start to ready ms', String(round(floor.coldStartMs, 0)), String(round(keyward.coldStartMs, 0)), (keyward.coldStartMs / floor.coldStartMs).toFixed(2), '']);
  const rssCheck = check?.keywardPeakRssMb ?? null;
  const rssProc = proc && 'headersOnly' in proc ? proc.keywardPeakRssMb : null;
  rows.push(['RSS MB: idle / Check loads / ext_proc loads', '', `${round(idle.rssBytes / 2 ** 20, 1)} / ${rssCheck ?? '-'} / ${rssProc ?? '-'}`, '', 'Check <= 200']);

  const report = {
    at: new Date().toISOString(),
    machine: machine(),
    command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
    servers: flags.tsx ? 'sources through tsx' : 'compiled (tsconfig.bench.json)',
    settings,
    audit,
    check,
    proc,
    stall,
    coldStartMs: { floor: round(floor.coldStartMs, 1), keyward: round(keyward.coldStartMs, 1), keywardInProcess: round(keyward.ready.readyMs, 1) },
    rssMb: { idle: round(idle.rssBytes / 2 ** 20, 1), peakUnderCheckLoads: rssCheck, peakUnderProcLoads: rssProc },
    extras,
  };
  const file = `${resultsDir}${report.at.replace(/[:.]/g, '-')}.json`;
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);

  process.stdout.write(`\nkeyward benchmarks — ${report.machine.cores} cores, ${report.machine.cpu}, Node ${report.machine.node}, ${report.machine.h2load}; audit: ${audit}\n\n`);
  process.stdout.write(`${renderTable(rows)}\n\n`);
  if (check) process.stdout.write(`Check: ${check.auditedCalls} audit rows committed for ${check.completedRequests} measured requests (warm-up requests are audited too).\n`);
  if (stall) process.stdout.write(`stall: ${stall.bodiesMasked} bodies of ${stall.bodyBytes} bytes masked during the loaded run, ${stall.bodiesFailed} failed${stall.firstFailure ? ` (first: ${stall.firstFailure})` : ''}; mask threads ${process.env.BENCH_MASK_THREADS ?? 'default'}.\n`);
  if (proc && 'skipped' in proc) process.stdout.write(`ext_proc: skipped (${proc.skipped}).\n`);
  if (proc && 'body64k' in proc && 'skipped' in proc.body64k) process.stdout.write(`ext_proc 64 KiB body: skipped (${proc.body64k.skipped}).\n`);
  for (const x of extras) process.stdout.write(`${x.name}: ${x.skipped ? `skipped (${x.skipped})` : JSON.stringify(x.figures)}\n`);
  if (cpuProfDir) process.stdout.write(`CPU profile of the keyward process: ${cpuProfDir}\n`);
  process.stdout.write(`results: ${file}\n`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
