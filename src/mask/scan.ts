import type { Detector, MatchContext, PrecheckHits } from './types.js';

/** One text the detectors run over, and the way from a match to the segment (JSON string) that holds it. */
export interface ScanView {
  readonly text: string;
  /** The segment wholly holding `[index, index + length)` and its start in `text`; undefined when none does. */
  locate(index: number, length: number): { readonly seg: number; readonly base: number } | undefined;
  /** Offsets [start, end) in `text` of the scannable segment holding `index`; undefined between segments. */
  segmentAt(index: number): readonly [number, number] | undefined;
}

export interface Scannable {
  readonly views: readonly ScanView[];
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

/** Largest i with starts[i] <= pos, or -1. */
export function floorIndex(starts: ArrayLike<number>, pos: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  if (hi < 0 || starts[0]! > pos) return -1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid]! <= pos) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Lower-cased text, computed at most once (keyword prefilters and field prechecks share it). */
export function lazyLower(text: string): () => string {
  let lower: string | undefined;
  return () => (lower ??= text.toLowerCase());
}

/** Keywords (lower-cased) that occur in a text; see prefilter.ts. */
export type KeywordsSeen = ReadonlySet<string>;

export function anyKeyword(d: Detector, seen: KeywordsSeen): boolean {
  if (d.keywords.length === 0) return true;
  for (const k of d.keywords) if (seen.has(k.toLowerCase())) return true;
  return false;
}

/**
 * Runs `d.pattern` over `hay`, which is `view.text` or the part of it starting at `offset` (one
 * segment: its edges are quotes or NULs, which no byPrecheck pattern can match or read across).
 */
function runDetector(d: Detector, view: ScanView, hay: string, offset: number, input: Scannable, out: Candidate[]): void {
  const re = d.pattern;
  re.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(hay)) !== null) {
    const whole = m[0];
    if (whole.length === 0) {
      re.lastIndex++;
      continue;
    }
    let index = m.index;
    let secret = whole;
    if (d.leadingGroup && m.indices?.[1]) {
      index = m.indices[1][0];
      secret = hay.slice(index, m.index + whole.length);
    } else if (m.length > 1) {
      const last = m.length - 1;
      const g = m[last];
      if (g === undefined || g.length === 0) continue;
      index = re.hasIndices && m.indices?.[last] ? m.indices[last][0] : m.index + whole.length - g.length;
      secret = g;
    }
    index += offset;
    const at = view.locate(index, secret.length);
    if (at === undefined) continue;
    let type = d.type;
    let length = secret.length;
    if (d.validate) {
      const ctx: MatchContext = { match: whole, groups: m, text: view.text, index, key: input.keyOf(at.seg) };
      const verdict = d.validate(secret, ctx);
      if (verdict === false) continue;
      if (typeof verdict === 'string') type = verdict;
      else if (typeof verdict === 'object') length = Math.min(length, verdict.length);
    }
    out.push({ seg: at.seg, from: index - at.base, to: index - at.base + length, type, priority: d.priority });
  }
}

/** The offsets of `hits` a detector's precheckNeeds keeps (a fact of -1 always). */
function neededOffsets(hits: PrecheckHits, needs: (fact: number) => boolean): number[] {
  const kept: number[] = [];
  for (let i = 0; i < hits.offsets.length; i++) {
    const f = hits.facts[i]!;
    if (f === -1 || needs(f)) kept.push(hits.offsets[i]!);
  }
  return kept;
}

/** The distinct segments holding the offsets a precheck found, as flat [start, end, start, end, …]. */
function precheckedSegments(view: ScanView, offsets: readonly number[]): number[] {
  const sorted = offsets.length > 1 ? [...offsets].sort((a, b) => a - b) : offsets;
  const ranges: number[] = [];
  let lastEnd = -1;
  for (const i of sorted) {
    if (i < lastEnd) continue;
    const r = view.segmentAt(i);
    if (r === undefined) continue;
    ranges.push(r[0], r[1]);
    lastEnd = r[1];
  }
  return ranges;
}

function scanView(view: ScanView, input: Scannable, detectors: readonly Detector[], seen: KeywordsSeen, out: Candidate[]): void {
  const { text } = view;
  let byPrecheck: Map<NonNullable<Detector['precheck']>, Detector[]> | undefined;
  for (const d of detectors) {
    if (!anyKeyword(d, seen)) continue;
    if (d.precheck === undefined) {
      runDetector(d, view, text, 0, input, out);
      continue;
    }
    byPrecheck ??= new Map();
    const group = byPrecheck.get(d.precheck);
    if (group) group.push(d);
    else byPrecheck.set(d.precheck, [d]);
  }
  if (byPrecheck === undefined) return;
  for (const [precheck, group] of byPrecheck) {
    const hits = precheck(text);
    // Detectors often share a precheckNeeds (or have none): their segments are found once.
    const rangesBy = new Map<Detector['precheckNeeds'], number[]>();
    for (const d of group) {
      let ranges = rangesBy.get(d.precheckNeeds);
      if (!ranges) rangesBy.set(d.precheckNeeds, (ranges = precheckedSegments(view, d.precheckNeeds ? neededOffsets(hits, d.precheckNeeds) : hits.offsets)));
      for (let r = 0; r < ranges.length; r += 2) {
        const from = ranges[r]!;
        const to = ranges[r + 1]!;
        runDetector(d, view, from === 0 && to === text.length ? text : text.slice(from, to), from, input, out);
      }
    }
  }
}

/** Runs every detector whose keywords occur in a view, validates, and returns candidates in segment offsets. */
export function scanSegments(input: Scannable, detectors: readonly Detector[], keywordsIn: (text: string, lower: () => string) => KeywordsSeen): Candidate[] {
  const out: Candidate[] = [];
  for (const view of input.views) scanView(view, input, detectors, keywordsIn(view.text, lazyLower(view.text)), out);
  return out;
}
