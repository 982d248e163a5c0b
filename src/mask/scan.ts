import type { Detector, MatchContext } from './types.js';

/** Text to scan: segments (JSON string values, or one whole text) joined by NUL, which no detector crosses. */
export interface SegmentedText {
  readonly text: string;
  /** Offset of each segment in `text`, ascending. */
  readonly segStart: readonly number[];
  /** Normalised nearest member name of a segment, for validators. */
  keyOf(seg: number): string | undefined;
}

/** A detection inside one segment, in offsets of the segment's (decoded) text. */
export interface Candidate {
  readonly seg: number;
  readonly from: number;
  readonly to: number;
  readonly type: string;
  readonly priority: number;
}

/** Index of the segment holding joined offset `pos`. */
export function segmentAt(segStart: readonly number[], pos: number): number {
  let lo = 0;
  let hi = segStart.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (segStart[mid]! <= pos) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Lower-cased text, computed at most once per scan (keyword prefilters and field gates share it). */
export function lazyLower(text: string): () => string {
  let lower: string | undefined;
  return () => (lower ??= text.toLowerCase());
}

export function anyKeyword(d: Detector, text: string, lower: () => string): boolean {
  if (d.keywords.length === 0) return true;
  const hay = d.keywordsIgnoreCase ? lower() : text;
  for (const k of d.keywords) if (hay.includes(k)) return true;
  return false;
}

/** Runs every detector whose keywords occur, validates, and returns candidates in segment offsets. */
export function scanSegments(input: SegmentedText, detectors: readonly Detector[], lower: () => string): Candidate[] {
  const { text, segStart } = input;
  const out: Candidate[] = [];
  for (const d of detectors) {
    if (!anyKeyword(d, text, lower)) continue;
    const re = d.pattern;
    re.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = re.exec(text)) !== null) {
      const whole = m[0];
      if (whole.length === 0) {
        re.lastIndex++;
        continue;
      }
      let index = m.index;
      let secret = whole;
      if (m.length > 1) {
        const last = m.length - 1;
        const g = m[last];
        if (g === undefined || g.length === 0) continue;
        index = re.hasIndices && m.indices?.[last] ? m.indices[last][0] : m.index + whole.length - g.length;
        secret = g;
      }
      const seg = segmentAt(segStart, index);
      const segEnd = seg + 1 < segStart.length ? segStart[seg + 1]! - 1 : text.length;
      if (index + secret.length > segEnd) continue;
      let type = d.type;
      let length = secret.length;
      if (d.validate) {
        const ctx: MatchContext = { match: whole, text, index, key: input.keyOf(seg) };
        const verdict = d.validate(secret, ctx);
        if (verdict === false) continue;
        if (typeof verdict === 'string') type = verdict;
        else if (typeof verdict === 'object') length = Math.min(length, verdict.length);
      }
      const base = segStart[seg]!;
      out.push({ seg, from: index - base, to: index - base + length, type, priority: d.priority });
    }
  }
  return out;
}
