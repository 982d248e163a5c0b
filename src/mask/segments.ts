import { fieldRuleFor, mayNameField, normalizeKey } from './fields.js';
import { decodeJsonString, rawOffsets } from './json-string.js';
import { ESCAPED, IS_KEY, keyTokenOf, walkJson, type ColumnArena, type JsonStrings } from './json-walker.js';
import { formatPath, matchesAllowPath, parseAllowPath, tokenPath, type PathSegment } from './paths.js';
import { floorIndex, lazyLower, type Candidate, type Scannable, type ScanView } from './scan.js';
import type { FieldHit, Span } from './types.js';
import { cardNumberSpans } from './json-numbers.js';

/** A scannable view of a body plus the way back to raw offsets and to finding locations. */
export interface ScannedBody extends Scannable {
  /** Raw range in the source of a range of segment `seg`. */
  rawRange(seg: number, from: number, to: number): [number, number];
  /** JSON path or `@offset`; `hidden` holds member names that were redacted themselves. */
  location(seg: number, rawStart: number, hidden: ReadonlySet<string>): string;
  /** Whether `seg` lies under an allow-listed path. */
  allowed(seg: number): boolean;
  /** The JSON path of a segment (member names and indices); undefined in text. */
  pathOf(seg: number): readonly PathSegment[] | undefined;
  /** Field-rule (key-name) detections. */
  fieldHits(): Candidate[];
  /** Decoded text of a segment. */
  segText(seg: number): string;
  isKey(seg: number): boolean;
  /**
   * String values that hold a JSON document with escapes of its own (`"{\"k\":\"\\u0041KIA…\"}"`):
   * one decoding leaves `\u0041`, `\/` in the text, so they are masked as documents in their own right.
   */
  nestedDocuments(): readonly number[];
  /** Card numbers written as JSON numbers (json-numbers.ts), as spans in raw offsets. */
  numberSpans(): Span[];
  /** The walk of a JSON body (absent for text), for a reader of the same document (Masker.maskBody's `reader`). */
  readonly walk?: JsonStrings;
}

export function scannedText(src: string): ScannedBody {
  const whole = [0, src.length] as const;
  const view: ScanView = { text: src, locate: () => ({ seg: 0, base: 0 }), segmentAt: () => whole };
  return {
    views: [view],
    keyOf: () => undefined,
    rawRange: (_seg, from, to) => [from, to],
    location: (_seg, rawStart) => `@${rawStart}`,
    allowed: () => false,
    pathOf: () => undefined,
    fieldHits: () => [],
    segText: () => src,
    isKey: () => false,
    nestedDocuments: () => [],
    numberSpans: () => [],
  };
}

export type AllowPaths = readonly ReturnType<typeof parseAllowPath>[];
type Rule = (value: string, body: string) => FieldHit | undefined;

/** Field priority by type: a key name is strong context for these. */
const FIELD_PRIORITY: Record<string, number> = { gcp_service_account_key: 100, private_key: 90, datadog_api_key: 85, datadog_app_key: 85, aws_secret_access_key: 80 };

/**
 * Strings without escapes are scanned where they lie in the raw text (no copy); a match counts only
 * when it lies inside one of them. Strings with escapes are decoded and scanned in a second view.
 */
export function scannedJson(src: string, maxDepth: number, multi: boolean, allow: AllowPaths, arena?: ColumnArena): ScannedBody {
  const strings: JsonStrings = walkJson(src, maxDepth, multi, mayNameField, arena);
  const { count, start, end, flags } = strings;
  const escapedTokens = strings.escaped;
  const decoded = new Map<number, string>();
  const segText = (t: number): string => {
    if ((flags[t]! & ESCAPED) === 0) return src.slice(start[t]!, end[t]!);
    let s = decoded.get(t);
    if (s === undefined) decoded.set(t, (s = decodeJsonString(src, start[t]!, end[t]!)));
    return s;
  };
  const rawView: ScanView = {
    text: src,
    locate(index, length) {
      const t = floorIndex(start, index);
      if (t < 0 || index + length > end[t]! || (flags[t]! & ESCAPED) !== 0) return undefined;
      return { seg: t, base: start[t]! };
    },
    segmentAt(index) {
      const t = floorIndex(start, index);
      if (t < 0 || index >= end[t]! || (flags[t]! & ESCAPED) !== 0) return undefined;
      return [start[t]!, end[t]!];
    },
  };
  const views: ScanView[] = [rawView];
  if (escapedTokens.length > 0) {
    const parts = escapedTokens.map(segText);
    const segStart: number[] = [];
    let pos = 0;
    for (const p of parts) {
      segStart.push(pos);
      pos += p.length + 1;
    }
    views.push({
      text: parts.join('\0'),
      locate(index, length) {
        const i = floorIndex(segStart, index);
        if (i < 0 || index + length > segStart[i]! + parts[i]!.length) return undefined;
        return { seg: escapedTokens[i]!, base: segStart[i]! };
      },
      segmentAt(index) {
        const i = floorIndex(segStart, index);
        if (i < 0 || index >= segStart[i]! + parts[i]!.length) return undefined;
        return [segStart[i]!, segStart[i]! + parts[i]!.length];
      },
    });
  }
  const names = new Map<number, string>();
  const keyName = (kt: number): string => {
    let k = names.get(kt);
    if (k === undefined) names.set(kt, (k = normalizeKey(segText(kt))));
    return k;
  };
  const maps = new Map<number, Int32Array>();
  const allowedCache = new Map<number, boolean>();
  const pathOf = (seg: number) => tokenPath(strings, seg, segText);
  const allowedSeg = (seg: number): boolean => {
    if (allow.length === 0) return false;
    let ok = allowedCache.get(seg);
    if (ok === undefined) {
      const { path } = pathOf(seg);
      ok = allow.some((steps) => matchesAllowPath(steps, path));
      allowedCache.set(seg, ok);
    }
    return ok;
  };
  const locationOf = (seg: number): string => {
    const { doc, path } = pathOf(seg);
    const p = formatPath(path, new Set());
    return multi ? `[${doc}]${p}` : p;
  };

  return {
    walk: strings,
    views,
    keyOf(seg) {
      const kt = keyTokenOf(strings, seg);
      return kt >= 0 ? keyName(kt) : undefined;
    },
    segText,
    isKey: (seg) => (flags[seg]! & IS_KEY) !== 0,
    numberSpans: () => cardNumberSpans(src, strings, keyName, (kt, at) => (kt < 0 ? `@${at}` : locationOf(kt)), allowedSeg),
    nestedDocuments() {
      const out: number[] = [];
      for (const t of escapedTokens) {
        if ((flags[t]! & IS_KEY) !== 0) continue;
        const text = segText(t);
        if (/^[ \t\r\n]*[[{]/.test(text) && text.includes('\\')) out.push(t);
      }
      return out;
    },
    rawRange(seg, from, to) {
      const s = start[seg]!;
      if ((flags[seg]! & ESCAPED) === 0) return [s + from, s + to];
      let map = maps.get(seg);
      if (!map) maps.set(seg, (map = rawOffsets(src, s, end[seg]!)));
      return [map[from]!, map[to]!];
    },
    location(seg, _rawStart, hidden) {
      const { doc, path } = pathOf(seg);
      const p = formatPath(path, hidden);
      return multi ? `[${doc}]${p}` : p;
    },
    pathOf: (seg) => pathOf(seg).path,
    allowed: allowedSeg,
    fieldHits() {
      const out: Candidate[] = [];
      const byName = new Map<string, Rule | undefined>();
      let ruleOfKey: (Rule | undefined)[] | undefined;
      // The walker already set aside the few names that may end with a rule's word (and those with escapes).
      for (const t of strings.markedKeys) {
        const raw = segText(t);
        if ((flags[t]! & ESCAPED) !== 0 && !mayNameField(raw, 0, raw.length)) continue;
        if (!byName.has(raw)) byName.set(raw, fieldRuleFor(normalizeKey(raw)));
        const rule = byName.get(raw);
        if (rule) (ruleOfKey ??= new Array<Rule | undefined>(count))[t] = rule;
      }
      const hay = lazyLower(src);
      const judge = (rule: Rule, t: number): void => {
        const hit = rule(segText(t), hay());
        if (hit) out.push({ seg: t, from: hit.from, to: hit.to, type: hit.type, priority: FIELD_PRIORITY[hit.type] ?? 50 });
      };
      if (ruleOfKey !== undefined) {
        for (let t = 0; t < count; t++) {
          const kt = keyTokenOf(strings, t);
          const rule = kt >= 0 ? ruleOfKey[kt] : undefined;
          if (rule) judge(rule, t);
        }
      }
      // Pairs need a `value`-like member: one native search keeps the token loop off most bodies
      // (any escaped string may spell one, `"valu\u0065"`, so escapes always take the loop).
      if (escapedTokens.length > 0 || someStringEndsWith(strings, src, PAIR_VALUE_ENDINGS)) for (const [value, rule] of namedPairs(strings, src, segText, keyName)) judge(rule, value);
      return out;
    },
  };
}

/** Member names that say "the sibling `value` is called …", and the sibling names holding the value. */
const PAIR_NAME_KEYS = new Set(['name', 'key', 'header', 'header_name', 'field', 'variable']);
// `pattern`: the value of a Datadog synthetics config variable (`{name, type: 'text', pattern}`).
const PAIR_VALUE_KEYS = new Set(['value', 'header_value', 'val', 'pattern']);
/** Raw member names that normalise to a PAIR_VALUE_KEYS entry (`"value"`, `"headerValue"`, `"Value"`…) all end with one of these. */
const PAIR_VALUE_ENDINGS = ['alue', 'ALUE', 'val', 'Val', 'VAL', 'attern', 'ATTERN'];
/**
 * Their last two characters (all ASCII), as a table by pair, to skip most strings with one read: a
 * Set of last characters matched every string ending in `e` and cost a tenth of masking a clean body.
 */
const PAIR_VALUE_TAIL = new Uint8Array(128 * 128);
for (const e of PAIR_VALUE_ENDINGS) PAIR_VALUE_TAIL[(e.charCodeAt(e.length - 2) << 7) | e.charCodeAt(e.length - 1)] = 1;

/**
 * Whether a string's raw content ends with one of `endings` (what a search for `ending"` in the raw
 * text finds: in valid JSON such a quote closes a string). One read per string instead of one
 * search of the whole body per ending, each stopping at every occurrence of a common first letter.
 */
function someStringEndsWith(strings: JsonStrings, src: string, endings: readonly string[]): boolean {
  const { count, start, end } = strings;
  const tail = PAIR_VALUE_TAIL;
  for (let t = 0; t < count; t++) {
    const e = end[t]!;
    if (e - start[t]! < 2) continue;
    const a = src.charCodeAt(e - 2);
    const b = src.charCodeAt(e - 1);
    if ((a | b) >= 0x80 || tail[(a << 7) | b] !== 1) continue;
    for (const ending of endings) if (e - start[t]! >= ending.length && src.startsWith(ending, e - ending.length)) return true;
  }
  return false;
}
/** How far (in string tokens) a pair's value may sit from its name: siblings of one small object. */
const PAIR_REACH = 16;

/**
 * Name/value pairs (`{"name": "DD-API-KEY", "value": "…"}`: HTTP headers of webhooks and synthetics
 * tests, environment variables): the value string is judged by the rule its sibling's name selects.
 * Only strings whose text may name a field (the cheap ending check) are looked at.
 */
function* namedPairs(strings: JsonStrings, src: string, segText: (t: number) => string, keyName: (kt: number) => string): Generator<[number, Rule]> {
  const { count, flags, frame, start, end } = strings;
  for (let t = 0; t < count; t++) {
    if ((flags[t]! & IS_KEY) !== 0) continue;
    const fr = frame[t]!;
    if (fr < 0 || strings.frames.kind[fr] !== 0) continue;
    const escaped = (flags[t]! & ESCAPED) !== 0;
    if (!escaped && !mayNameField(src, start[t]!, end[t]!)) continue;
    const text = segText(t);
    if (escaped && !mayNameField(text, 0, text.length)) continue;
    if (!PAIR_NAME_KEYS.has(keyName(strings.slot[t]!))) continue;
    const rule = fieldRuleFor(normalizeKey(text));
    if (!rule) continue;
    for (let x = Math.max(0, t - PAIR_REACH); x < Math.min(count, t + PAIR_REACH); x++) {
      if (x === t || frame[x] !== fr || (flags[x]! & IS_KEY) !== 0) continue;
      if (PAIR_VALUE_KEYS.has(keyName(strings.slot[x]!))) yield [x, rule];
    }
  }
}
