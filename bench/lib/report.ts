import type { H2loadResult } from './h2load.js';
import type { Comparison } from './scenario.js';

export type Row = [figure: string, floor: string, keyward: string, ratio: string, target: string];

const ms = (r: H2loadResult) => `${r.p50Ms} / ${r.p99Ms}`;

/** Rows for one floor-vs-keyward comparison: throughput with its ratio, then p50/p99. */
export function comparisonRows(name: string, c: Comparison, targets: { ratio?: string; latency?: string } = {}): Row[] {
  return [
    [`${name} req/s`, String(c.floor.rps), String(c.keyward.rps), c.ratio.toFixed(2), targets.ratio ?? ''],
    [`${name} p50 / p99 ms`, ms(c.floor), ms(c.keyward), '', targets.latency ?? ''],
    // The ratio is floor ÷ keyward CPU: the throughput share keyward would reach if both were CPU-bound.
    [`${name} server CPU µs/req`, String(c.cpuUsPerRequest.floor), String(c.cpuUsPerRequest.keyward), (c.cpuUsPerRequest.floor / c.cpuUsPerRequest.keyward).toFixed(2), ''],
  ];
}

export function renderTable(rows: readonly Row[]): string {
  const head: Row = ['figure', 'floor', 'keyward', 'ratio', 'target'];
  const all = [head, ...rows];
  const widths = head.map((_, i) => Math.max(...all.map((r) => r[i]!.length)));
  const line = (r: Row) => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  return [line(head), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
