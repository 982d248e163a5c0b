/**
 * Budgets: (1) Check throughput with a budget on Redis vs the same Check without budgets, in-process
 * (authorizer with a real RS256 token verifier and an in-memory audit; target ≥ 0.9); (2) series
 * counting vs masking of the same decoded v2 series body (target ≤ 0.2): read in the masking pass
 * (what ext_proc does when the rule masks) and, apart, the guard's own pass; plus the Redis series
 * script's round trip for that batch. Interleaved rounds, medians.
 * Run alone: `npx tsx bench/budgets.ts` (Redis on REDIS_URL or 127.0.0.1:6379); a runner calls `run()`.
 */
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { pino } from 'pino';
import { createAuthorizer } from '../src/authz/check.js';
import { createBudgetGuard } from '../src/budgets/index.js';
import { measurePayload } from '../src/budgets/payload.js';
import { createSeriesReader, unpackSeries } from '../src/budgets/series-walk.js';
import { createMemoryStore } from '../src/budgets/memory-store.js';
import { createRedisStore } from '../src/budgets/redis-store.js';
import { seriesKeyset } from '../src/budgets/keys.js';
import { budgetBenchConfig } from './lib/budget-config.js';
import { maskingSection } from '../src/config/sections/masking.js';
import { startDevIssuer } from '../dev/dev-issuer.js';
import { createIdentityVerifier } from '../src/identity/verify.js';
import { createMasker } from '../src/mask/index.js';
import { compileRuntime } from '../src/config/compile.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
/** Checks in flight: enough that one Redis round trip overlaps many Checks, as Envoy's many streams do. */
const INFLIGHT = Number(process.env.BENCH_INFLIGHT ?? 256);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const round = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;

/** A v2 series submission of about 64 KiB: 300 series with five tags each. */
export function seriesBody(): Buffer {
  const now = Math.floor(Date.now() / 1000);
  const series = Array.from({ length: 300 }, (_, i) => ({
    metric: `app.http.request.duration.${i % 12}`,
    type: 3,
    points: Array.from({ length: 3 }, (_, j) => ({ timestamp: now - j * 10, value: (i * 7.31 + j) % 97 })),
    tags: [`env:prod`, `service:checkout-${i % 5}`, `endpoint:/api/v1/orders/${i % 40}`, `status_code:${200 + (i % 3)}`, `version:1.4.${i % 10}`],
    resources: [{ name: `i-0${(1e15 + i * 7919).toString(16)}`, type: 'host' }],
  }));
  return Buffer.from(JSON.stringify({ series }));
}

async function checkBench(prefix: string) {
  const issuer = await startDevIssuer();
  const base = (budgets: string) => budgetBenchConfig(issuer.issuer, REDIS_URL, prefix, budgets);
  const plain = compileRuntime(base(''));
  const budgeted = compileRuntime(base('budgets: [{ name: fleet, match: { groups: [agents] }, limits: [{ window: 1s, requests: 1000000000 }, { window: 1d, requests: 1000000000 }] }]'));
  const log = pino({ level: 'silent' });
  const store = createRedisStore({ url: REDIS_URL, timeoutMs: 1000, log });
  const budgets = createBudgetGuard({ store, log });
  const audit = { record: async () => undefined, close: async () => undefined };
  const verify = createIdentityVerifier();
  const memoryBudgets = createBudgetGuard({ store: createMemoryStore(), log });
  const mk = (runtime: typeof plain, guard = budgets) => createAuthorizer({ runtime: () => runtime, verify, audit, log, budgets: guard });
  const checks = { off: mk(plain), on: mk(budgeted), memory: mk(budgeted, memoryBudgets) };
  const tokens = await Promise.all(Array.from({ length: 8 }, (_, i) => issuer.mint({ subject: `agent-${i}`, groups: ['agents'] })));
  const input = (i: number) => ({ method: 'GET', path: '/api/v1/validate', headers: { authorization: `Bearer ${tokens[i % 8]}` }, body: null, bodyPartial: false });
  for (const c of Object.values(checks)) for (let i = 0; i < 200; i++) await c(input(i)); // warm: JWKS, verified-token cache, scripts
  const rate = async (c: (typeof checks)['on'], ms: number) => {
    let n = 0;
    const end = performance.now() + ms;
    const worker = async () => {
      while (performance.now() < end) {
        const r = await c(input(n));
        if (r.kind !== 'allow') throw new Error(`bench call refused: ${r.code}`);
        n++;
      }
    };
    const start = performance.now();
    await Promise.all(Array.from({ length: INFLIGHT }, worker));
    return n / ((performance.now() - start) / 1000);
  };
  const off: number[] = [];
  const on: number[] = [];
  const mem: number[] = [];
  // BENCH_PROFILE_MS=4000 node --import tsx --cpu-prof bench/budgets.ts: only the Redis variant, for a profile of it alone
  if (process.env.BENCH_PROFILE_MS) {
    on.push(await rate(checks.on, Number(process.env.BENCH_PROFILE_MS)));
    await store.close();
    await issuer.close();
    return { check_on_per_s: Math.round(on[0]!) };
  }
  for (let r = 0; r < 6; r++) {
    off.push(await rate(checks.off, 400));
    on.push(await rate(checks.on, 400));
    mem.push(await rate(checks.memory, 400));
  }
  await store.close();
  await issuer.close();
  return { check_off_per_s: Math.round(median(off)), check_on_per_s: Math.round(median(on)), ratio: round(median(on.map((x, i) => x / off[i]!))), check_memory_counters_per_s: Math.round(median(mem)), memory_ratio: round(median(mem.map((x, i) => x / off[i]!))), target: '>= 0.9' };
}

async function seriesBench(prefix: string) {
  const body = seriesBody();
  const masker = createMasker(maskingSection.parse({}));
  const time = (fn: () => unknown, reps: number) => {
    const start = performance.now();
    for (let i = 0; i < reps; i++) fn();
    return (performance.now() - start) / reps;
  };
  // What ext_proc does with a masked metric submission: mask it and read its series in the same
  // pass (src/budgets/series-walk.ts), then the guard takes their ids.
  const maskAndRead = () => {
    const reader = createSeriesReader();
    masker.maskBody(body, 'application/json', undefined, reader.read);
    return unpackSeries(reader.result()!)!.map((s) => s.id);
  };
  const fusedRatios: number[] = [];
  const fusedMs: number[] = [];
  const ratios: number[] = [];
  const maskMs: number[] = [];
  const countMs: number[] = [];
  for (let r = 0; r < 40; r++) {
    const m = time(() => masker.maskBody(body, 'application/json'), 20);
    const f = time(maskAndRead, 20);
    const c = time(() => measurePayload('metrics', body, 'application/json'), 10);
    maskMs.push(m);
    fusedMs.push(f - m);
    fusedRatios.push((f - m) / m);
    countMs.push(c);
    ratios.push(c / m);
  }
  const store = createRedisStore({ url: REDIS_URL, timeoutMs: 1000, log: pino({ level: 'silent' }) });
  const ids = measurePayload('metrics', body, 'application/json').series!.map((s) => s.id);
  const rtt: number[] = [];
  for (let r = 0; r < 50; r++) {
    const at = Date.now();
    const scope = `bench-${r % 5}`;
    const start = performance.now();
    await store.series({ ...seriesKeyset(prefix, 'bench', scope, at), scope, max: 100_000, mode: 'refuse', ttlMs: 120_000, ids }, at);
    rtt.push(performance.now() - start);
  }
  await store.close();
  return {
    body_bytes: body.length,
    series: ids.length,
    mask_ms: round(median(maskMs)),
    /** Masking with the series read in its pass, less masking alone: what counting adds when the rule masks. */
    read_in_masking_ms: round(median(fusedMs)),
    ratio: round(median(fusedRatios)),
    target: '<= 0.2',
    /** The guard's own pass (src/budgets/series-scan.ts), for a rule that does not mask the body. */
    separate_pass_ms: round(median(countMs)),
    separate_pass_ratio: round(median(ratios)),
    redis_series_script_p50_ms: round(median(rtt)),
  };
}

export async function run() {
  const prefix = `kwbench:${randomUUID().slice(0, 8)}:`;
  if (process.env.BENCH_PROFILE_MS) return { check: await checkBench(prefix) };
  return { check: await checkBench(prefix), series: await seriesBench(prefix) };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.stdout.write(JSON.stringify(await run(), null, 2) + '\n');
}
