/**
 * Node CPU per Check decision that budgets add (issue 18), load-resistant: process.cpuUsage over many
 * decisions, not wall-clock throughput. Two levels, rounds interleaved, medians:
 *  - guard: `BudgetGuard.checkRequest` alone (one budget, two windows, gauges on, 8 agents), counters
 *    in memory and in Redis (keyward's side: ioredis, batching, parsing), and the Redis server's
 *    own CPU per decision during the Redis rounds (INFO cpu; other clients of that Redis add to it);
 *  - check: the whole in-process authorizer (RS256 token, policy, audit discarded) without budgets,
 *    with the budget in memory and in Redis; budget cost = with − without.
 * Decisions run BENCH_INFLIGHT (64) at a time, as Envoy's concurrent streams do, so the Redis batcher
 * coalesces them. Run: `npx tsx bench/budgets-cpu.ts [rounds=7] [decisions per round=20000]`: it
 * compiles itself with keyward (tsc, into bench/results/budgets-cpu/) and runs the JavaScript, as
 * production runs it — under tsx every function carries esbuild's `__name` wrapper, which alone
 * shifts a closure-heavy path by microseconds. BENCH_TSX=1 measures the TypeScript loader's run.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { createAuthorizer } from '../src/authz/check.js';
import { createBudgetGauges, createBudgetGuard, type BudgetCaller } from '../src/budgets/index.js';
import { createMemoryStore } from '../src/budgets/memory-store.js';
import { createRedisStore } from '../src/budgets/redis-store.js';
import { compileRuntime } from '../src/config/compile.js';
import { budgetBenchConfig } from './lib/budget-config.js';
import { scopedGroups } from '../src/identity/group-scope.js';
import { createIdentityVerifier } from '../src/identity/verify.js';
import { startDevIssuer } from '../dev/dev-issuer.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const INFLIGHT = Number(process.env.BENCH_INFLIGHT ?? 64);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const round2 = (x: number) => Math.round(x * 100) / 100;

/** CPU µs (user + system) per decision of `one(i)`, INFLIGHT at a time. */
async function cpuPerDecision(n: number, one: (i: number) => Promise<unknown>): Promise<number> {
  const start = process.cpuUsage();
  for (let i = 0; i < n; i += INFLIGHT) {
    const wave: Promise<unknown>[] = [];
    for (let j = 0; j < INFLIGHT; j++) wave.push(one(i + j));
    await Promise.all(wave);
  }
  const used = process.cpuUsage(start);
  return (used.user + used.system) / n;
}

export async function run(rounds = 7, perRound = 20_000) {
  const issuer = await startDevIssuer();
  const prefix = `kwbench:${randomUUID().slice(0, 8)}:`;
  const base = (budgets: string) => budgetBenchConfig(issuer.issuer, REDIS_URL, prefix, budgets);
  const plain = compileRuntime(base(''));
  const budgeted = compileRuntime(base('budgets: [{ name: bench-fleet, match: { groups: [agents] }, limits: [{ window: 1s, requests: 1000000000 }, { window: 1d, requests: 1000000000000 }] }]'));
  const log = pino({ level: 'silent' });
  const redisStore = createRedisStore({ url: REDIS_URL, timeoutMs: 1000, log });
  const guards = {
    memory: createBudgetGuard({ store: createMemoryStore(), log, gauges: createBudgetGauges(new Registry()) }),
    redis: createBudgetGuard({ store: redisStore, log, gauges: createBudgetGauges(new Registry()) }),
  };
  const audit = { record: async () => undefined, close: async () => undefined };
  const verify = createIdentityVerifier();
  const authorizers = {
    off: createAuthorizer({ runtime: () => plain, verify, audit, log }),
    memory: createAuthorizer({ runtime: () => budgeted, verify, audit, log, budgets: guards.memory }),
    redis: createAuthorizer({ runtime: () => budgeted, verify, audit, log, budgets: guards.redis }),
  };
  const tokens = await Promise.all(Array.from({ length: 8 }, (_, i) => issuer.mint({ subject: `agent-${i}`, groups: ['agents'] })));
  const input = (i: number) => ({ method: 'GET', path: '/api/v1/validate', headers: { authorization: `Bearer ${tokens[i % 8]}` }, body: null, bodyPartial: false });
  const callers: BudgetCaller[] = Array.from({ length: 8 }, (_, i) => ({ issuer: issuer.issuer, subject: `agent-${i}`, groups: scopedGroups({ issuer: issuer.issuer, groups: ['agents'] }), connection: 'prod', operationClass: 'read' }));
  const config = budgeted.config;
  if (Object.keys(await guards.memory.checkRequest(config, callers[0]!)).length === 0) throw new Error('the bench budget does not match the bench caller');

  const guardRun = (g: keyof typeof guards) => (i: number) => guards[g].checkRequest(config, callers[i % 8]!);
  const checkRun = (a: keyof typeof authorizers) => async (i: number) => {
    const r = await authorizers[a](input(i));
    if (r.kind !== 'allow') throw new Error(`bench call refused: ${r.code}`);
  };
  // warm: JWKS, verified-token cache, Redis scripts, the JIT
  for (const a of Object.keys(authorizers) as (keyof typeof authorizers)[]) await cpuPerDecision(4_000, checkRun(a));
  for (const g of Object.keys(guards) as (keyof typeof guards)[]) await cpuPerDecision(4_000, guardRun(g));

  // The Redis server's own CPU (INFO cpu, user + sys, µs) shares the machine's cores with keyward.
  const probe = new Redis(REDIS_URL);
  const serverCpu = async () => {
    const info = await probe.info('cpu');
    const field = (name: string) => Number(new RegExp(`^${name}:([0-9.]+)`, 'm').exec(info)?.[1] ?? NaN);
    return (field('used_cpu_user') + field('used_cpu_sys')) * 1e6;
  };
  const us: Record<'guardMemory' | 'guardRedis' | 'redisServer' | 'checkOff' | 'checkMemory' | 'checkRedis', number[]> = { guardMemory: [], guardRedis: [], redisServer: [], checkOff: [], checkMemory: [], checkRedis: [] };
  for (let r = 0; r < rounds; r++) {
    us.guardMemory.push(await cpuPerDecision(perRound, guardRun('memory')));
    const before = await serverCpu();
    us.guardRedis.push(await cpuPerDecision(perRound, guardRun('redis')));
    us.redisServer.push(((await serverCpu()) - before) / perRound);
    us.checkOff.push(await cpuPerDecision(perRound, checkRun('off')));
    us.checkMemory.push(await cpuPerDecision(perRound, checkRun('memory')));
    us.checkRedis.push(await cpuPerDecision(perRound, checkRun('redis')));
  }
  await redisStore.close();
  probe.disconnect();
  await issuer.close();
  const added = (k: 'checkMemory' | 'checkRedis') => round2(median(us[k].map((x, i) => x - us.checkOff[i]!)));
  return {
    cpu_us_per_decision: Object.fromEntries(Object.entries(us).map(([k, v]) => [k, round2(median(v))])),
    check_added_by_memory_us: added('checkMemory'),
    check_added_by_redis_us: added('checkRedis'),
    inflight: INFLIGHT,
    rounds,
    per_round: perRound,
  };
}

/** Compiles src/, dev/ and this file into bench/results/budgets-cpu/build and runs that instead. */
function runCompiled(): void {
  const root = fileURLToPath(new URL('../', import.meta.url));
  const dir = `${root}bench/results/budgets-cpu`;
  mkdirSync(dir, { recursive: true });
  const tsconfig = { extends: '../../../tsconfig.build.json', compilerOptions: { outDir: './build', rootDir: '../../..', sourceMap: false }, include: ['../../../src', '../../../dev', '../../../bench/budgets-cpu.ts'] };
  writeFileSync(`${dir}/tsconfig.json`, JSON.stringify(tsconfig));
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  process.stderr.write('budgets-cpu: compiling (tsc) …\n');
  execFileSync(process.execPath, [tsc, '-p', `${dir}/tsconfig.json`], { stdio: 'inherit' });
  execFileSync(process.execPath, [`${dir}/build/bench/budgets-cpu.js`, ...process.argv.slice(2)], { stdio: 'inherit' });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  if (!import.meta.url.endsWith('.js') && process.env.BENCH_TSX !== '1') runCompiled();
  else process.stdout.write(JSON.stringify(await run(Number(process.argv[2] ?? 7), Number(process.argv[3] ?? 20_000)), null, 2) + '\n');
}
