/**
 * What a request body weighs against a budget (pure): log entries, metric points, events, and the
 * series of a metric submission. Bodies are already decoded (src/mask/codecs.ts).
 */

export type PayloadKind = 'metrics' | 'logs' | 'events' | 'other';

const METRIC_PATHS = new Set(['/api/v1/series', '/api/v2/series', '/api/v1/distribution_points']);
const EVENT_PATHS = new Set(['/api/v1/events', '/api/v2/events']);

export function payloadKind(method: string, path: string): PayloadKind {
  if (method !== 'POST') return 'other';
  const p = path.split('?', 1)[0]!.replace(/\/+$/, '');
  if (METRIC_PATHS.has(p)) return 'metrics';
  if (EVENT_PATHS.has(p)) return 'events';
  if (p === '/api/v2/logs' || p === '/v1/input' || p.startsWith('/v1/input/')) return 'logs';
  return 'other';
}

/** One series of a submission: its identity key (hashed) and what `budgets top` groups by. */
export interface SeriesRef {
  /** Index in the body's `series` array. */
  readonly index: number;
  readonly metric: string;
  /** 16 hex chars of the series key: metric name, sorted tags, host / resources. */
  readonly id: string;
  /** The series' tags as sent (`key:value`). */
  readonly tags: readonly string[];
}

export interface PayloadMeasure {
  readonly logEvents: number;
  readonly metricPoints: number;
  readonly events: number;
  /** Present for a metric submission that parsed. */
  readonly series: readonly SeriesRef[] | null;
}

const withoutBom = (text: string): string => (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);

const NOTHING: PayloadMeasure = { logEvents: 0, metricPoints: 0, events: 0, series: null };

/** Counts what the budget limits. A body that is not the JSON its kind expects weighs 1 entry (logs, events) and no series. */
export function measurePayload(kind: PayloadKind, body: Buffer, contentType: string | undefined): PayloadMeasure {
  if (kind === 'other' || body.length === 0) return NOTHING;
  if (kind === 'events') return { ...NOTHING, events: 1 };
  const json = contentType === undefined || /json/i.test(contentType);
  let doc: unknown;
  try {
    // A leading byte-order mark is read past: JSON.parse refuses it, and an intake that accepts it
    // would otherwise take series this guard never counted.
    doc = json ? JSON.parse(withoutBom(body.toString('utf8'))) : undefined;
  } catch {
    doc = undefined;
  }
  if (kind === 'logs') {
    if (Array.isArray(doc)) return { ...NOTHING, logEvents: doc.length };
    if (doc !== undefined) return { ...NOTHING, logEvents: 1 };
    // text/plain intake: one entry per non-empty line
    return { ...NOTHING, logEvents: body.toString('utf8').split('\n').filter((l) => l.trim() !== '').length };
  }
  const list = (doc as { series?: unknown } | undefined)?.series;
  if (!Array.isArray(list)) return NOTHING;
  const series: SeriesRef[] = [];
  let points = 0;
  list.forEach((s: unknown, index) => {
    if (typeof s !== 'object' || s === null) return;
    const o = s as Record<string, unknown>;
    if (Array.isArray(o.points)) points += o.points.length;
    if (typeof o.metric !== 'string') return;
    const tags = Array.isArray(o.tags) ? o.tags.filter((t): t is string => typeof t === 'string') : [];
    series.push({ index, metric: o.metric, id: seriesId(o.metric, tags, o.host, o.resources), tags });
  });
  return { ...NOTHING, metricPoints: points, series };
}

/** `type:name` of each v2 resource as the series key reads them (an element that is not an object reads ''), or null when there is no resources array. */
export function resourceKeys(resources: unknown): string[] | null {
  if (!Array.isArray(resources)) return null;
  return resources.map((x: unknown) => (typeof x === 'object' && x !== null ? `${String((x as { type?: unknown }).type ?? '')}:${String((x as { name?: unknown }).name ?? '')}` : ''));
}

/** The series identity Datadog bills: metric name + sorted tags + host (v1) or resources (v2). */
export function seriesKey(metric: string, tags: readonly string[], host: unknown, resources: unknown): string {
  return seriesKeyOf(metric, tags, typeof host === 'string' ? host : '', resourceKeys(resources));
}

/** seriesKey over values already read: `host` '' when absent, `resources` as resourceKeys gives them. */
export function seriesKeyOf(metric: string, tags: readonly string[], host: string, resources: readonly string[] | null): string {
  const parts = [metric, [...tags].sort().join('\u0001'), host];
  if (resources !== null) parts.push([...resources].sort().join('\u0001'));
  return parts.join('\u0000');
}

export function seriesId(metric: string, tags: readonly string[], host: unknown, resources: unknown): string {
  return seriesIdOf(metric, tags, typeof host === 'string' ? host : '', resourceKeys(resources));
}

// hash64's two lanes while seriesIdOf feeds them (synchronous, so one pair serves every call).
let laneA = 0;
let laneB = 0;

function feed(s: string): void {
  let a = laneA;
  let b = laneB;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 13;
  }
  laneA = a;
  laneB = b;
}

function feedJoined(parts: readonly string[], separator: string): void {
  for (let i = 0; i < parts.length; i++) {
    if (i > 0) feed(separator);
    feed(parts[i]!);
  }
}

function joinedLength(parts: readonly string[]): number {
  let n = parts.length > 0 ? parts.length - 1 : 0;
  for (let i = 0; i < parts.length; i++) n += parts[i]!.length;
  return n;
}
/** The parts in Array.prototype.sort's order (UTF-16 code units, which `<` compares too); insertion sort for the few tags a series has. */
function sortedCopy(parts: readonly string[]): readonly string[] {
  if (parts.length < 2) return parts;
  if (parts.length > 16) return [...parts].sort();
  const out = parts.slice();
  for (let i = 1; i < out.length; i++) {
    const x = out[i]!;
    let j = i - 1;
    while (j >= 0 && out[j]! > x) {
      out[j + 1] = out[j]!;
      j--;
    }
    out[j + 1] = x;
  }
  return out;
}

/**
 * hash64(seriesKeyOf(…)) without building the key: the same characters fed in the same order (the
 * length it seeds with is summed first), so ids stay those already counted in Redis.
 */
export function seriesIdOf(metric: string, tags: readonly string[], host: string, resources: readonly string[] | null): string {
  const sorted = sortedCopy(tags);
  const res = resources === null ? null : sortedCopy(resources);
  laneA = 0x811c9dc5;
  laneB = 0x01000193 ^ (metric.length + 1 + joinedLength(sorted) + 1 + host.length + (res === null ? 0 : 1 + joinedLength(res)));
  feed(metric);
  feed('\u0000');
  feedJoined(sorted, '\u0001');
  feed('\u0000');
  feed(host);
  if (res !== null) {
    feed('\u0000');
    feedJoined(res, '\u0001');
  }
  return hex8(laneA) + hex8(laneB);
}

/** Two hex digits per byte value: Number#toString(16) was an eighth of the time of an id. */
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const hex8 = (x: number): string => HEX[(x >>> 24) & 0xff]! + HEX[(x >>> 16) & 0xff]! + HEX[(x >>> 8) & 0xff]! + HEX[x & 0xff]!;

/** Two independent 32-bit FNV-1a style lanes → 16 hex chars: cheap, and collisions are negligible at ≤ 100k series a scope. */
export function hash64(s: string): string {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 13;
  }
  return (a >>> 0).toString(16).padStart(8, '0') + (b >>> 0).toString(16).padStart(8, '0');
}
