import type { ServerChild } from './child.js';
import { runH2load, type H2loadResult } from './h2load.js';
import { round } from './stats.js';

export interface BenchSettings {
  durationS: number;
  warmUpS: number;
  /** Closed-loop load for peak throughput. */
  peak: { clients: number; streams: number };
  /** Open-ish loop at a fixed total rate (h2load --rps per client). */
  paced: { clients: number; totalRps: number };
}

export interface Comparison {
  floor: H2loadResult;
  keyward: H2loadResult;
  /** keyward req/s ÷ floor req/s. */
  ratio: number;
  /** Server CPU (every thread) per answered request, µs: load-resistant, and blind to the load driver's own limits. */
  cpuUsPerRequest: { floor: number; keyward: number };
}

/** Runs `load` while reading the server's CPU clock on both sides of it. */
export async function withCpu<T extends { succeeded: number }>(server: ServerChild, load: () => Promise<T>): Promise<{ run: T; cpuUs: number }> {
  const before = (await server.stats()).cpuMicros;
  const run = await load();
  const after = (await server.stats()).cpuMicros;
  return { run, cpuUs: round((after - before) / Math.max(1, run.succeeded), 1) };
}

export type LoadKind = 'peak' | 'paced';

export function h2loadFor(settings: BenchSettings, kind: LoadKind, url: string, body: Buffer, totalRps = settings.paced.totalRps) {
  const shape =
    kind === 'peak'
      ? { clients: settings.peak.clients, streams: settings.peak.streams }
      : { clients: settings.paced.clients, streams: 16, rpsPerClient: Math.ceil(totalRps / settings.paced.clients) };
  return runH2load({ url, body, durationS: settings.durationS, warmUpS: settings.warmUpS, ...shape });
}

/** Runs the same load against the floor, then keyward, sampling keyward's RSS meanwhile. */
export async function compare(
  label: string,
  settings: BenchSettings,
  kind: LoadKind,
  urls: { floor: string; keyward: string },
  body: Buffer,
  servers: { floor: ServerChild; keyward: ServerChild },
  totalRps?: number,
): Promise<Comparison & { keywardPeakRssMb: number }> {
  const { floor, keyward } = servers;
  const floorRun = await withCpu(floor, () => h2loadFor(settings, kind, urls.floor, body, totalRps));
  const stopSampling = keyward.sampleRss(250);
  const stopProfile = keyward.profile(`${label}-${kind}`);
  const keywardRun = await withCpu(keyward, () => h2loadFor(settings, kind, urls.keyward, body, totalRps));
  await stopProfile();
  const peak = stopSampling();
  return {
    floor: floorRun.run,
    keyward: keywardRun.run,
    ratio: round(keywardRun.run.rps / floorRun.run.rps, 3),
    cpuUsPerRequest: { floor: floorRun.cpuUs, keyward: keywardRun.cpuUs },
    keywardPeakRssMb: round(peak / 2 ** 20, 1),
  };
}
