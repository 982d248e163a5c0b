/**
 * Masking throughput vs JSON.parse of the same bytes (target ≥ 50 %), on a clean and a secret-dense
 * 64 KiB JSON payload, plus the time to finish each pathological input class.
 * Run alone: `npx tsx bench/mask.ts`; a bench runner calls `run()`.
 */
import { pathToFileURL } from 'node:url';
import { maskingSection } from '../src/config/sections/masking.js';
import { createMasker } from '../src/mask/index.js';

export interface MaskBenchFigure {
  readonly payload: string;
  readonly bytes: number;
  readonly json_parse_mb_s: number;
  readonly mask_mb_s: number;
  /** mask throughput / JSON.parse throughput: median over alternating rounds. */
  readonly ratio: number;
  /** Quartiles of the per-round ratios (the spread a shared machine adds). */
  readonly ratio_p25: number;
  readonly ratio_p75: number;
  readonly findings: number;
}

export interface MaskBenchResult {
  readonly figures: readonly MaskBenchFigure[];
  readonly pathological_ms: Readonly<Record<string, number>>;
  readonly target_ratio: number;
}

const TARGET = 64 * 1024;

/** A Datadog logs-intake batch of about 64 KiB; with `dense`, one log in three carries a secret. */
export function payload(dense: boolean): Buffer {
  const secrets = [
    'Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZ2VudCJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ',
    'user alice@example.com from 203.0.113.9',
    'AWS key AKIAIOSFODNN7EXAMPLE used',
    'card 4111 1111 1111 1111 declined',
    'postgres://app:Sup3rS3cret@db.internal:5432/app',
    'token ghp_0123456789abcdefABCDEF0123456789abcd',
  ];
  const logs: string[] = [];
  let size = 2;
  for (let i = 0; size < TARGET; i++) {
    const message = dense && i % 3 === 0 ? `request failed: ${secrets[i % secrets.length]}` : `GET /api/v1/orders/${i} 200 in ${(i % 97) + 3}ms user-agent=datadog-agent/7.52.1`;
    const log = JSON.stringify({
      ddsource: 'nodejs',
      service: 'checkout',
      hostname: `i-0${(1e15 + i * 7919).toString(16)}.ec2.internal`,
      ddtags: `env:prod,version:1.4.${i % 10},team:payments`,
      message,
      status: i % 11 === 0 ? 'error' : 'info',
      dd: { trace_id: `${(4e18 + i * 104729).toString()}`, span_id: `${(1e18 + i * 7).toString()}` },
      duration: 1530000000 + i,
      http: { status_code: 200, method: 'GET', url_details: { path: `/api/v1/orders/${i}` } },
    });
    logs.push(log);
    size += log.length + 1;
  }
  return Buffer.from(`[${logs.join(',')}]`);
}

/**
 * Throughputs (MB/s) of `parse` and `mask` on the same bytes. Both are warmed up for a while first
 * (masking is JIT-compiled JavaScript and lazily compiled regexes; JSON.parse is native and needs
 * none, so a short warm-up under-reports masking), then timed in alternating rounds so that load
 * from other processes on a shared machine falls on both alike. The ratio is the median per round.
 */
function compare(bytes: number, parse: () => void, mask: () => void): { parse: number; mask: number; ratios: number[] } {
  const warmUntil = performance.now() + 500;
  while (performance.now() < warmUntil) {
    parse();
    mask();
  }
  const ratios: number[] = [];
  let parseMs = 0;
  let maskMs = 0;
  let calls = 0;
  for (let round = 0; round < 40; round++) {
    let t = performance.now();
    for (let i = 0; i < 8; i++) parse();
    const p = performance.now() - t;
    t = performance.now();
    for (let i = 0; i < 8; i++) mask();
    const m = performance.now() - t;
    parseMs += p;
    maskMs += m;
    calls += 8;
    ratios.push(p / m);
  }
  ratios.sort((a, b) => a - b);
  const mbs = (ms: number): number => (bytes * calls) / (ms / 1000) / 1e6;
  return { parse: mbs(parseMs), mask: mbs(maskMs), ratios };
}

export function run(): MaskBenchResult {
  const masker = createMasker(maskingSection.parse({}));
  const figures: MaskBenchFigure[] = [];
  for (const [name, body] of [
    ['clean 64 KiB logs batch', payload(false)],
    ['secret-dense 64 KiB logs batch', payload(true)],
  ] as const) {
    const { parse, mask, ratios } = compare(
      body.length,
      () => JSON.parse(body.toString('utf8')),
      () => masker.maskBody(body, 'application/json'),
    );
    const q = (f: number): number => round(ratios[Math.floor(f * (ratios.length - 1))]!);
    const findings = masker.maskBody(body, 'application/json').findings.reduce((n, f) => n + f.count, 0);
    figures.push({ payload: name, bytes: body.length, json_parse_mb_s: round(parse), mask_mb_s: round(mask), ratio: q(0.5), ratio_p25: q(0.25), ratio_p75: q(0.75), findings });
  }
  const pathological_ms: Record<string, number> = {};
  const MiB = 1024 * 1024;
  for (const [name, unit] of [
    ['1 MiB of "a"', 'a'],
    ['1 MiB of "4 "', '4 '],
    ['1 MiB of "a@"', 'a@'],
    ['1 MiB of "token=token="', 'token='],
    ['1 MiB of PEM headers', '-----BEGIN PRIVATE KEY-----\n'],
    ['1 MiB of "eyJa."', 'eyJa.'],
  ] as const) {
    const text = unit.repeat(Math.ceil(MiB / unit.length));
    const start = performance.now();
    masker.maskText(text);
    pathological_ms[name] = round(performance.now() - start);
  }
  const big = Buffer.from(`{"message":"${'x'.repeat(5 * MiB)}"}`);
  const start = performance.now();
  masker.maskBody(big, 'application/json');
  pathological_ms['5 MiB single JSON string'] = round(performance.now() - start);
  return { figures, pathological_ms, target_ratio: 0.5 };
}

const round = (n: number): number => Math.round(n * 100) / 100;

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = run();
  console.log('payload                          bytes   JSON.parse MB/s   mask MB/s   ratio (p25..p75)  findings');
  for (const f of result.figures) {
    const spread = `(${f.ratio_p25.toFixed(2)}..${f.ratio_p75.toFixed(2)})`;
    console.log(`${f.payload.padEnd(32)} ${String(f.bytes).padStart(6)}   ${f.json_parse_mb_s.toFixed(1).padStart(15)}   ${f.mask_mb_s.toFixed(1).padStart(9)}   ${f.ratio.toFixed(2).padStart(5)} ${spread.padEnd(12)} ${f.findings}`);
  }
  for (const [name, ms] of Object.entries(result.pathological_ms)) console.log(`pathological ${name.padEnd(28)} ${ms.toFixed(1)} ms`);
  console.log(JSON.stringify(result));
}
