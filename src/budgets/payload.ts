/**
 * What a request body weighs against a budget (pure): log entries, metric points, events, and the
 * series of a metric submission. Bodies are already decoded (src/mask/codecs.ts).
 */
import { seriesId } from './series-id.js';
import { scanSubmission } from './series-scan.js';

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

/** Whether a body of this content type is read as JSON (no type: it is tried as JSON). */
export const readsAsJson = (contentType: string | undefined): boolean => contentType === undefined || /json/i.test(contentType);

const withoutBom = (text: string): string => (text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);

const NOTHING: PayloadMeasure = { logEvents: 0, metricPoints: 0, events: 0, series: null };

/** Counts what the budget limits. A body that is not the JSON its kind expects weighs 1 entry (logs, events) and no series. */
export function measurePayload(kind: PayloadKind, body: Buffer, contentType: string | undefined): PayloadMeasure {
  if (kind === 'other' || body.length === 0) return NOTHING;
  if (kind === 'events') return { ...NOTHING, events: 1 };
  const json = readsAsJson(contentType);
  if (kind === 'metrics' && json) {
    // Most submissions are read from their bytes; the scanner leaves the rare others to JSON.parse.
    const scanned = scanSubmission(body);
    if (scanned !== null) return { ...NOTHING, ...scanned };
  }
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
