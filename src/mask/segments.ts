import { fieldRuleFor, FIELD_KEYWORDS, normalizeKey } from './fields.js';
import { decodeJsonString, rawOffsets } from './json-string.js';
import { ESCAPED, IS_KEY, walkJson, type JsonStrings } from './json-walker.js';
import { formatPath, matchesAllowPath, parseAllowPath, tokenPath } from './paths.js';
import type { Candidate, SegmentedText } from './scan.js';
import type { FieldHit } from './types.js';

/** A scannable view of a body plus the way back to raw offsets and to finding locations. */
export interface Document extends SegmentedText {
  /** Raw range in the source of a range of segment `seg`. */
  rawRange(seg: number, from: number, to: number): [number, number];
  /** JSON path or `@offset`; `hidden` holds member names that were redacted themselves. */
  location(seg: number, rawStart: number, hidden: ReadonlySet<string>): string;
  /** Whether `seg` lies under an allow-listed path. */
  allowed(seg: number): boolean;
  /** Field-rule (key-name) detections. */
  fieldHits(lower: () => string): Candidate[];
  /** Decoded text of a segment. */
  segText(seg: number): string;
  isKey(seg: number): boolean;
}

export function textDocument(src: string): Document {
  return {
    text: src,
    segStart: [0],
    keyOf: () => undefined,
    rawRange: (_seg, from, to) => [from, to],
    location: (_seg, rawStart) => `@${rawStart}`,
    allowed: () => false,
    fieldHits: () => [],
    segText: () => src,
    isKey: () => false,
  };
}

export type AllowPaths = readonly ReturnType<typeof parseAllowPath>[];

/** Field priority by type: a key name is strong context, but validated patterns of the same type are equal. */
const FIELD_PRIORITY: Record<string, number> = { gcp_service_account_key: 100, private_key: 90, datadog_api_key: 85, datadog_app_key: 85, aws_secret_access_key: 80 };

export function jsonDocument(src: string, maxDepth: number, multi: boolean, allow: AllowPaths, fieldPriority = FIELD_PRIORITY): Document {
  const strings: JsonStrings = walkJson(src, maxDepth, multi);
  const { count, start, end, flags, keyTok } = strings;
  const parts: string[] = new Array<string>(count);
  for (let t = 0; t < count; t++) {
    parts[t] = (flags[t]! & ESCAPED) !== 0 ? decodeJsonString(src, start[t]!, end[t]!) : src.slice(start[t]!, end[t]!);
  }
  const segStart: number[] = new Array<number>(count);
  let pos = 0;
  for (let t = 0; t < count; t++) {
    segStart[t] = pos;
    pos += parts[t]!.length + 1;
  }
  const text = parts.join('\0');
  const normalized = new Map<number, string>();
  const keyName = (kt: number): string => {
    let k = normalized.get(kt);
    if (k === undefined) normalized.set(kt, (k = normalizeKey(parts[kt]!)));
    return k;
  };
  const maps = new Map<number, Int32Array>();
  const allowedCache = new Map<number, boolean>();
  const pathOf = (seg: number) => tokenPath(strings, seg, (t) => parts[t]!);

  return {
    text,
    segStart: count > 0 ? segStart : [0],
    keyOf: (seg) => (count > 0 && keyTok[seg]! >= 0 ? keyName(keyTok[seg]!) : undefined),
    segText: (seg) => parts[seg] ?? '',
    isKey: (seg) => (flags[seg]! & IS_KEY) !== 0,
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
    allowed(seg) {
      if (allow.length === 0 || count === 0) return false;
      let ok = allowedCache.get(seg);
      if (ok === undefined) {
        const { path } = pathOf(seg);
        ok = allow.some((steps) => matchesAllowPath(steps, path));
        allowedCache.set(seg, ok);
      }
      return ok;
    },
    fieldHits(lower) {
      const out: Candidate[] = [];
      const hay = lower();
      if (!FIELD_KEYWORDS.some((k) => hay.includes(k))) return out;
      const rules = new Map<number, ((v: string, body: string) => FieldHit | undefined) | undefined>();
      const byName = new Map<string, ((v: string, body: string) => FieldHit | undefined) | undefined>();
      for (let t = 0; t < count; t++) {
        const kt = keyTok[t]!;
        if (kt < 0) continue;
        let rule = rules.get(kt);
        if (!rules.has(kt)) {
          const name = keyName(kt);
          if (!byName.has(name)) byName.set(name, fieldRuleFor(name));
          rule = byName.get(name);
          rules.set(kt, rule);
        }
        if (!rule) continue;
        const hit = rule(parts[t]!, hay);
        if (hit) out.push({ seg: t, from: hit.from, to: hit.to, type: hit.type, priority: fieldPriority[hit.type] ?? 50 });
      }
      return out;
    },
  };
}
