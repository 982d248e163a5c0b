import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { percentile, round } from './stats.js';

export interface H2loadRun {
  /** http://host:port/service/Method */
  url: string;
  /** The request body: one or more gRPC frames. */
  body: Buffer;
  clients: number;
  /** Concurrent streams per client connection. */
  streams: number;
  durationS: number;
  warmUpS: number;
  /** Requests per second per client (rate-limited run); absent = as fast as possible. */
  rpsPerClient?: number;
}

export interface H2loadResult {
  rps: number;
  requests: number;
  succeeded: number;
  failed: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** Returns the h2load path, or null with installation advice printed. */
export function findH2load(): string | null {
  const found = spawnSync('h2load', ['--version'], { encoding: 'utf8' });
  if (found.status === 0) return 'h2load';
  process.stderr.write(
    'h2load not found. It sends the real HTTP/2 gRPC frames these benchmarks need.\n' +
      '  Debian/Ubuntu: sudo apt-get update && sudo apt-get install -y nghttp2-client\n' +
      '  macOS (Homebrew): brew install nghttp2\n',
  );
  return null;
}

/**
 * One h2load run sending the same gRPC message on every stream (POST, content-type application/grpc,
 * te: trailers). h2load prints no percentiles, so they come from its per-request log.
 * h2load sees HTTP status only (always 200 for gRPC): callers verify gRPC status separately.
 */
export async function runH2load(run: H2loadRun): Promise<H2loadResult> {
  const dir = mkdtempSync(join(tmpdir(), 'keyward-bench-'));
  const bodyFile = join(dir, 'body.bin');
  const logFile = join(dir, 'requests.log');
  writeFileSync(bodyFile, run.body);
  const args = [
    '-t', '1',
    '-c', String(run.clients),
    '-m', String(run.streams),
    '-D', String(run.durationS),
    `--warm-up-time=${run.warmUpS}`,
    '-d', bodyFile,
    '-H', 'content-type: application/grpc',
    '-H', 'te: trailers',
    `--log-file=${logFile}`,
    ...(run.rpsPerClient ? [`--rps=${run.rpsPerClient}`] : []),
    run.url,
  ];
  try {
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn('h2load', args, { stdio: ['ignore', 'pipe', 'pipe'] });
      let text = '';
      child.stdout.on('data', (d: Buffer) => (text += d.toString('utf8')));
      child.stderr.on('data', (d: Buffer) => (text += d.toString('utf8')));
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve(text) : reject(new Error(`h2load exited ${code}:\n${text}`))));
    });
    return parse(out, readFileSync(logFile, 'utf8'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function parse(out: string, log: string): H2loadResult {
  const rps = Number(/finished in [\d.]+m?s, ([\d.]+) req\/s/.exec(out)?.[1] ?? Number.NaN);
  const counts = /requests: (\d+) total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed/.exec(out);
  if (!counts || Number.isNaN(rps)) throw new Error(`unexpected h2load output:\n${out}`);
  const rows = log
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split('\t').map(Number) as [number, number, number]);
  // In timing-based runs h2load logs the measured window only (warm-up requests are not written).
  const latencies = rows
    .filter((r) => r[1] === 200)
    .map((r) => r[2] / 1000)
    .sort((a, b) => a - b);
  return {
    rps: round(rps, 0),
    requests: Number(counts[1]),
    succeeded: Number(counts[2]),
    failed: Number(counts[3]),
    p50Ms: round(percentile(latencies, 50)),
    p90Ms: round(percentile(latencies, 90)),
    p99Ms: round(percentile(latencies, 99)),
    maxMs: round(latencies[latencies.length - 1] ?? Number.NaN),
  };
}
