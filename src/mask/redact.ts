import { createHmac } from 'node:crypto';
import type { FindingSummary } from './types.js';
import type { Candidate } from './scan.js';
import type { ScannedBody } from './segments.js';
import type { MaskStyle, Redaction, Span } from './types.js';

/** Findings keep at most this many locations per type; `count` stays exact. */
export const MAX_LOCATIONS = 100;

/** Candidates → raw spans: allow-listed segments dropped, overlaps merged (the union is replaced; the higher priority names it). */
export function toSpans(doc: ScannedBody, candidates: readonly Candidate[]): Span[] {
  const raw: (Span & { seg: number; from: number; to: number })[] = [];
  for (const c of candidates) {
    if (doc.allowed(c.seg)) continue;
    const [start, end] = doc.rawRange(c.seg, c.from, c.to);
    raw.push({ start, end, type: c.type, priority: c.priority, value: '', location: '', seg: c.seg, from: c.from, to: c.to });
  }
  raw.sort((a, b) => a.start - b.start || b.end - a.end);
  const merged: (Span & { seg: number; from: number; to: number })[] = [];
  for (const s of raw) {
    const cur = merged[merged.length - 1];
    if (cur && s.start < cur.end) {
      if (s.end > cur.end) {
        cur.end = s.end;
        cur.to = Math.max(cur.to, s.to);
      }
      if (s.priority > cur.priority) {
        cur.priority = s.priority;
        cur.type = s.type;
      }
      continue;
    }
    merged.push({ ...s });
  }
  const hidden = new Set<string>();
  for (const s of merged) if (doc.isKey(s.seg)) hidden.add(doc.segText(s.seg));
  for (const s of merged) {
    s.value = doc.segText(s.seg).slice(s.from, s.to);
    s.location = doc.location(s.seg, s.start, hidden);
  }
  return merged;
}

/**
 * Spans from several passes over one text (a document and the documents nested in its strings),
 * sorted and with overlaps merged like toSpans does: the union is replaced, the higher priority names it.
 */
export function mergeSpans(spans: readonly Span[]): Span[] {
  const sorted = [...spans].sort((a, b) => a.start - b.start || b.end - a.end);
  const out: Span[] = [];
  for (const s of sorted) {
    const cur = out[out.length - 1];
    if (cur && s.start < cur.end) {
      cur.end = Math.max(cur.end, s.end);
      if (s.priority > cur.priority) Object.assign(cur, { type: s.type, priority: s.priority, value: s.value, location: s.location });
      continue;
    }
    out.push({ ...s });
  }
  return out;
}

export function createReplacer(style: MaskStyle, hmacKey: string | undefined): (type: string, value: string) => string {
  if (style === 'hmac') {
    if (!hmacKey) throw new TypeError('masking style "hmac" needs hmac_key');
    return (type, value) => `[REDACTED:${type}:${createHmac('sha256', hmacKey).update(value, 'utf8').digest('hex').slice(0, 8)}]`;
  }
  return (type) => `[REDACTED:${type}]`;
}

/** The source with every span replaced; unchanged bytes are copied as they were. */
export function applySpans(src: string, spans: readonly Span[], replace: (type: string, value: string) => string): string {
  if (spans.length === 0) return src;
  const out: string[] = [];
  let last = 0;
  for (const s of spans) {
    const text = replace(s.type, s.value);
    out.push(src.slice(last, s.start), s.quote ? `"${text}"` : text);
    last = s.end;
  }
  out.push(src.slice(last));
  return out.join('');
}

export function summarize(spans: readonly Span[]): FindingSummary[] {
  const byType = new Map<string, { type: string; count: number; locations: string[] }>();
  for (const s of spans) {
    let f = byType.get(s.type);
    if (!f) byType.set(s.type, (f = { type: s.type, count: 0, locations: [] }));
    f.count++;
    if (f.locations.length < MAX_LOCATIONS) f.locations.push(s.location);
  }
  return [...byType.values()].sort((a, b) => a.type.localeCompare(b.type));
}

export function toRedactions(spans: readonly Span[]): Redaction[] {
  return spans.map(({ start, end, type, location }) => ({ start, end, type, location }));
}
