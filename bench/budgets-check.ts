/**
 * Check with budgets on vs off over real gRPC (issue 18's "Check with budgets on keeps ≥ 0.9 of its
 * throughput"): the same keyward replica as `npm run bench` (RS256 token, policy, audit rows
 * group-committed to Postgres when DATABASE_URL is set), started without budgets, with one budget
 * counted in Redis, and with it counted in memory; h2load's closed-loop peak against each in turn,
 * rounds interleaved, the ratio the median of per-round ratios.
 *   npx tsx bench/budgets-check.ts [rounds=3] [seconds=3]
 * The replica runs compiled (bench/lib/compile.ts), as production runs it; BENCH_TSX=1 runs the
 * sources through tsx. Beside Checks/s, which two shared cores make noisy, it reports the CPU each
 * Check cost keyward (its process's CPU over the load window / the Checks it audited) and, for the
 * Redis variant, the Redis server (INFO cpu over the window; other clients of that Redis add to it).
 * BENCH_PROFILE_DIR=DIR writes a CPU profile of each load window (<variant>-<round>.cpuprofile);
 * `npx tsx bench/lib/profile-summary.ts FILE` names what dominates.
 */
import { Redis } from 'ioredis';
import { forkServer } from './lib/child.js';
import { compileBenchServers } from './lib/compile.js';
import { CHECK_PATH, agentCheckRequest, encodeCheckRequest, grpcFrame } from './lib/frames.js';
import { findH2load } from './lib/h2load.js';
import { h2loadFor, type BenchSettings } from './lib/scenario.js';
import { checkOnce } from './lib/verify.js';

const rounds = Number(process.argv[2] ?? 3);
const seconds = Number(process.argv[3] ?? 3);
const settings: BenchSettings = { durationS: seconds, warmUpS: 1, peak: { clients: 2, streams: 32 }, paced: { clients: 4, totalRps: 1000 } };
const variants = ['none', 'redis', 'memory'] as const;
type Variant = (typeof variants)[number];
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const round3 = (x: number) => Math.round(x * 1000) / 1000;

let profiled = 0;
const compiled = process.env.BENCH_TSX === '1' ? {} : { compiledEntry: compileBenchServers() };
const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
async function redisCpuMicros(): Promise<number> {
  const info = await redis.info('cpu');
  const field = (name: string) => Number(new RegExp(`^${name}:([0-9.]+)`, 'm').exec(info)?.[1] ?? NaN);
  return (field('used_cpu_user') + field('used_cpu_sys')) * 1e6;
}

interface Peak {
  readonly rps: number;
  /** keyward's CPU per audited Check, µs. */
  readonly cpuUs: number;
  /** The kernel's part of cpuUs (syscalls: sockets, wake-ups). */
  readonly sysUs: number;
  /** The Redis server's CPU per audited Check, µs. */
  readonly redisUs: number;
}

async function peakOf(variant: Variant): Promise<Peak> {
  if (variant === 'none') delete process.env.BENCH_BUDGETS;
  else process.env.BENCH_BUDGETS = variant;
  const audit = process.env.DATABASE_URL ? 'postgres' : 'memory';
  const cpuProfDir = process.env.BENCH_PROFILE_DIR;
  const gate = await forkServer('keyward', [audit], { ...compiled, ...(cpuProfDir ? { cpuProfDir } : {}) });
  try {
    const request = agentCheckRequest(gate.ready.token, 'GET', '/api/v1/validate');
    const answer = await checkOnce(gate.ready.authz, request);
    if (answer.status?.code !== 0) throw new Error(`the bench Check is refused with budgets=${variant}: ${answer.status?.message ?? 'no status'}`);
    const stopProfile = gate.profile(`${variant}-${++profiled}`);
    const [before, redisBefore] = [await gate.stats(), await redisCpuMicros()];
    const run = await h2loadFor(settings, 'peak', `http://${gate.ready.authz}${CHECK_PATH}`, grpcFrame(encodeCheckRequest(request)));
    const [after, redisAfter] = [await gate.stats(), await redisCpuMicros()];
    await stopProfile();
    if (run.failed > 0) throw new Error(`${run.failed} Checks failed with budgets=${variant}`);
    const checks = after.auditedCalls - before.auditedCalls;
    if (process.env.BENCH_PROFILE_DIR) process.stderr.write(`${variant}: ${checks} Checks audited in the profiled window\n`);
    return { rps: run.rps, cpuUs: (after.cpuMicros - before.cpuMicros) / checks, sysUs: (after.sysMicros - before.sysMicros) / checks, redisUs: (redisAfter - redisBefore) / checks };
  } finally {
    await gate.stop();
  }
}

async function main(): Promise<void> {
  if (!findH2load()) process.exit(1);
  const rps: Record<Variant, number[]> = { none: [], redis: [], memory: [] };
  const cpu: Record<Variant, number[]> = { none: [], redis: [], memory: [] };
  const sysCpu: Record<Variant, number[]> = { none: [], redis: [], memory: [] };
  const redisCpu: Record<Variant, number[]> = { none: [], redis: [], memory: [] };
  for (let r = 0; r < rounds; r++) {
    for (const v of variants) {
      const peak = await peakOf(v);
      rps[v].push(peak.rps);
      cpu[v].push(peak.cpuUs);
      sysCpu[v].push(peak.sysUs);
      redisCpu[v].push(peak.redisUs);
      process.stderr.write(`round ${r + 1}/${rounds} ${v}: ${Math.round(peak.rps)} Checks/s, keyward ${peak.cpuUs.toFixed(1)} µs CPU/Check (sys ${peak.sysUs.toFixed(1)}), Redis ${peak.redisUs.toFixed(1)} µs\n`);
    }
  }
  redis.disconnect();
  const us = (v: Variant, xs: Record<Variant, number[]>) => Math.round(median(xs[v]) * 10) / 10;
  const ratio = (v: Variant) => round3(median(rps[v].map((x, i) => x / rps.none[i]!)));
  const table = {
    audit: process.env.DATABASE_URL ? 'postgres' : 'memory',
    medianRps: Object.fromEntries(variants.map((v) => [v, Math.round(median(rps[v]))])),
    redisOverNone: ratio('redis'),
    memoryOverNone: ratio('memory'),
    target: '≥ 0.9',
    keywardCpuUsPerCheck: Object.fromEntries(variants.map((v) => [v, us(v, cpu)])),
    keywardSysUsPerCheck: Object.fromEntries(variants.map((v) => [v, us(v, sysCpu)])),
    redisServerCpuUsPerCheck: Object.fromEntries(variants.map((v) => [v, us(v, redisCpu)])),
    /** What a Check costs with budgets, CPU of both processes, over what it costs without: the throughput ratio two saturated cores would give. */
    cpuRatioRedis: round3(median(cpu.none) / (median(cpu.redis) + median(redisCpu.redis) - median(redisCpu.none))),
    cpuRatioMemory: round3(median(cpu.none) / median(cpu.memory)),
  };
  process.stdout.write(`${JSON.stringify(table, null, 2)}\n`);
}

await main();
