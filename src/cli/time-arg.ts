import { InvalidArgumentError } from 'commander';

const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * A time a reviewer types: an ISO date or time, a span back from now (`90m`, `24h`, `7d`, `2w`), or
 * `now`, `today`, `yesterday` (midnight UTC, the zone audit rows are kept in). Pure: `now` is passed in.
 */
export function parseTimeArg(value: string, now: Date = new Date()): Date {
  const v = value.trim().toLowerCase();
  const span = /^(\d+)\s*(s|m|h|d|w)$/.exec(v);
  if (span) return new Date(now.getTime() - Number(span[1]) * UNIT_MS[span[2]!]!);
  const midnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  if (v === 'now') return now;
  if (v === 'today') return new Date(midnight);
  if (v === 'yesterday') return new Date(midnight - UNIT_MS.d!);
  const d = /^\d{4}-\d{2}-\d{2}/.test(v) ? new Date(value) : new Date(NaN);
  if (Number.isNaN(d.getTime())) throw new InvalidArgumentError('expected an ISO date or time (2025-03-01, 2025-03-01T12:00:00Z), a span back from now (90m, 24h, 7d, 2w), or now / today / yesterday (UTC)');
  return d;
}
