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
  keyward: ServerChild,
  totalRps?: number,
): Promise<Comparison & { keywardPeakRssMb: number }> {
  const floorRun = await h2loadFor(settings, kind, urls.floor, body, totalRps);
  const stopSampling = keyward.sampleRss(250);
  const stopProfile = keyward.profile(`${label}-${kind}`);
  const keywardRun = await h2loadFor(settings, kind, urls.keyward, body, totalRps);
  await stopProfile();
  const peak = stopSampling();
  return { floor: floorRun, keyward: keywardRun, ratio: round(keywardRun.rps / floorRun.rps, 3), keywardPeakRssMb: round(peak / 2 ** 20, 1) };
}
