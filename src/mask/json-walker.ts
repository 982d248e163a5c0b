import { KeywardError } from '../errors.js';

/**
 * Every string in a JSON text, by position, with enough structure to name its path and its key.
 * Built by one validating pass over the raw text: no value is parsed, so numbers stay as written.
 */
export interface JsonStrings {
  readonly count: number;
  /** Content range in the source (quotes excluded). */
  readonly start: Int32Array;
  readonly end: Int32Array;
  /** bit 1: contains escapes; bit 2: is a member name. */
  readonly flags: Int32Array;
  /** Container frame of the token, -1 at top level. */
  readonly frame: Int32Array;
  /** In an object: token index of the member name; in an array: element index; at top level: document index. */
  readonly slot: Int32Array;
  readonly frames: JsonFrames;
  /** Member names the caller's `markKey` accepted, and every member name with escapes (not checked raw), in order. */
  readonly markedKeys: readonly number[];
  /** Every string with escapes, in order. */
  readonly escaped: readonly number[];
  /** The integers of 15 or 16 digits inside a container (a card's length) as flat [start, end, start, end, …]. */
  readonly cardLengthIntegers: readonly number[];
}

export interface JsonFrames {
  /** 0 object, 1 array. */
  readonly kind: Int32Array;
  readonly parent: Int32Array;
  readonly slot: Int32Array;
  /** Token index of the member name that governs the frame (nearest enclosing key), or -1. */
  readonly keyTok: Int32Array;
  /** An array's element count (objects: unspecified). */
  readonly size: Int32Array;
  /** The tokens inside the frame, nested ones included, are [firstToken, endToken). */
  readonly firstToken: Int32Array;
  readonly endToken: Int32Array;
  /** The first frame after this one's nested frames: its next sibling, if it has one. */
  readonly next: Int32Array;
}

export const ESCAPED = 1;
export const IS_KEY = 2;

/** Raw control characters other than the JSON whitespace ones: invalid anywhere in a JSON text. */
const BAD_CONTROL = Array.from({ length: 0x20 }, (_, c) => String.fromCharCode(c)).filter((c) => c !== '\t' && c !== '\n' && c !== '\r');

/** The first raw control character that JSON forbids everywhere, or -1 (one memchr each: cheaper than a class regex). */
function badControl(src: string): number {
  let first = -1;
  for (const c of BAD_CONTROL) {
    const i = src.indexOf(c);
    if (i >= 0 && (first < 0 || i < first)) first = i;
  }
  return first;
}

const invalid = (at: number): KeywardError => new KeywardError('body_json_invalid', `at offset ${at}`);

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x66);
}

/**
 * The closing quote of a string whose escapes start at `b` (the first backslash inside it, before
 * any quote that could close it). Checks each escape; returns the closing quote's offset.
 */
function closeEscaped(src: string, b: number): number {
  for (;;) {
    const e = src.charCodeAt(b + 1);
    let j: number;
    if (e === 0x75 /* u */) {
      if (!(isHex(src.charCodeAt(b + 2)) && isHex(src.charCodeAt(b + 3)) && isHex(src.charCodeAt(b + 4)) && isHex(src.charCodeAt(b + 5)))) throw invalid(b);
      j = b + 6;
    } else if (e === 0x22 || e === 0x5c || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74) {
      j = b + 2;
    } else throw invalid(b);
    const q = src.indexOf('"', j);
    if (q < 0) throw invalid(j);
    b = src.indexOf('\\', j);
    if (b < 0 || b > q) return q;
  }
}

/** The first offset at or after `i` that is not JSON whitespace. */
function skipWs(src: string, i: number): number {
  let c: number;
  while ((c = src.charCodeAt(i)) === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
  return i;
}

/** Buffers larger than this (in entries: 1 MiB) are not kept for reuse: a rare huge body must not pin its columns (a 64 KiB body takes ~40k). */
const ARENA_KEEP_MAX = 1 << 18;

/**
 * Column buffers reused from one masking call to the next, instead of a zeroed allocation per walk
 * (the walker writes every entry it hands out, so old contents never show). Buffers are handed out
 * in order and all of them return on `reset()`: the owner calls it when no result of an earlier walk
 * is in use any more (a masker at the start of each call; nested documents walk while their outer
 * document's columns are still read, so each walk of one call gets buffers of its own).
 */
export class ColumnArena {
  private readonly pool: Int32Array[] = [];
  private next = 0;

  reset(): void {
    this.next = 0;
  }

  take(size: number): Int32Array {
    if (size > ARENA_KEEP_MAX) return new Int32Array(size);
    const have = this.pool[this.next];
    if (have !== undefined && have.length >= size) {
      this.next++;
      return have.subarray(0, size);
    }
    const fresh = new Int32Array(Math.max(size, have?.length ?? 0));
    this.pool[this.next++] = fresh;
    return fresh.subarray(0, size);
  }
}

/** `fields` views of `cap` entries over one backing buffer (one allocation instead of one per field), holding `old`'s first `keep` entries. */
function columns(fields: number, cap: number, old?: readonly Int32Array[], keep = 0, arena?: ColumnArena): Int32Array[] {
  const buffer = arena !== undefined ? arena.take(fields * cap) : new Int32Array(fields * cap);
  const out: Int32Array[] = [];
  for (let f = 0; f < fields; f++) {
    const col = buffer.subarray(f * cap, (f + 1) * cap);
    if (old) col.set(old[f]!.subarray(0, keep));
    out.push(col);
  }
  return out;
}

/**
 * Walks `src` (one JSON text, or with `multi` a whitespace-separated sequence such as NDJSON).
 *
 * Speed comes from the shape of JSON payloads: most bytes are string contents, and those are skipped
 * with native `indexOf` (closing quote; next backslash, tab, newline and CR, each remembered until
 * passed), so only the few bytes between strings are read one by one. One function, local state and
 * typed arrays: V8 keeps all of it in registers.
 */
export function walkJson(src: string, maxDepth: number, multi = false, markKey?: (src: string, from: number, to: number) => boolean, arena?: ColumnArena): JsonStrings {
  // Raw control characters are invalid anywhere but as whitespace between tokens.
  const bad = badControl(src);
  if (bad >= 0) throw invalid(bad);
  const markedKeys: number[] = [];
  const escaped: number[] = [];
  const cardLengthIntegers: number[] = [];
  const n = src.length;
  // Sized for a typical body (a string per ~16 bytes), capped: a huge single string must not cost a huge zeroed buffer.
  let cap = 16 + Math.min(n >> 4, 8192);
  let [start, end, flags, frame, slot] = columns(5, cap, undefined, 0, arena) as [Int32Array, Int32Array, Int32Array, Int32Array, Int32Array];
  let count = 0;
  let fcap = 16 + Math.min(n >> 6, 2048);
  let [fKind, fParent, fSlot, fKeyTok, fSize, fFirst, fEnd, fNext] = columns(8, fcap, undefined, 0, arena) as [Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array];
  let fcount = 0;
  // Enclosing containers (frame, slot) saved when a new one opens; the current one is in `fr` / `sl`.
  const savedFrame: number[] = [];
  const savedSlot: number[] = [];
  let depth = 0;
  let fr = -1;
  let sl = 0;
  let isObject = false;
  // Next backslash / raw \t \n \r at or after the current string (-1: none left).
  let bs = src.indexOf('\\');
  let lf = src.indexOf('\n');
  let cr = src.indexOf('\r');
  let tab = src.indexOf('\t');
  let i = src.charCodeAt(0) === 0xfeff ? 1 : src.startsWith('\xef\xbb\xbf') ? 3 : 0;
  let c = 0;
  let key = false;

  for (;;) {
    if ((c = src.charCodeAt(i)) <= 0x20) c = src.charCodeAt((i = skipWs(src, i)));
    if (key && c !== 0x22) throw invalid(i);
    if (c === 0x22) {
      // A string: the closing quote is the next quote unless a backslash comes first.
      let q = src.indexOf('"', i + 1);
      if (q < 0) throw invalid(i);
      let f = key ? IS_KEY : 0;
      if (bs !== -1 && bs <= i) bs = src.indexOf('\\', i + 1);
      if (bs !== -1 && bs < q) {
        q = closeEscaped(src, bs);
        f |= ESCAPED;
        escaped.push(count);
        bs = src.indexOf('\\', q);
      }
      if (lf !== -1 && lf <= i) lf = src.indexOf('\n', i);
      if (cr !== -1 && cr <= i) cr = src.indexOf('\r', i);
      if (tab !== -1 && tab <= i) tab = src.indexOf('\t', i);
      if ((lf !== -1 && lf < q) || (cr !== -1 && cr < q) || (tab !== -1 && tab < q)) throw invalid(i);
      if (count === cap) {
        cap *= 2;
        [start, end, flags, frame, slot] = columns(5, cap, [start, end, flags, frame, slot], count, arena) as [Int32Array, Int32Array, Int32Array, Int32Array, Int32Array];
      }
      start[count] = i + 1;
      end[count] = q;
      flags[count] = f;
      frame[count] = fr;
      if (key) {
        sl = count;
        if ((f & ESCAPED) !== 0 || (markKey !== undefined && markKey(src, i + 1, q))) markedKeys.push(count);
      }
      slot[count] = sl;
      count++;
      i = q + 1;
      if (key) {
        // Its colon, then the member's value.
        if ((c = src.charCodeAt(i)) <= 0x20) c = src.charCodeAt((i = skipWs(src, i)));
        if (c !== 0x3a) throw invalid(i);
        i++;
        key = false;
        continue;
      }
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (depth >= maxDepth) throw new KeywardError('body_too_deep', `deeper than ${maxDepth}`);
      if (fcount === fcap) {
        fcap *= 2;
        [fKind, fParent, fSlot, fKeyTok, fSize, fFirst, fEnd, fNext] = columns(8, fcap, [fKind, fParent, fSlot, fKeyTok, fSize, fFirst, fEnd, fNext], fcount, arena) as [Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array];
      }
      fKind[fcount] = c === 0x7b ? 0 : 1;
      fParent[fcount] = fr;
      fSlot[fcount] = sl;
      fKeyTok[fcount] = fr < 0 ? -1 : isObject ? sl : fKeyTok[fr]!;
      fFirst[fcount] = count;
      savedFrame[depth] = fr;
      savedSlot[depth] = sl;
      depth++;
      fr = fcount++;
      sl = 0;
      isObject = c === 0x7b;
      i++;
      if ((c = src.charCodeAt(i)) <= 0x20) c = src.charCodeAt((i = skipWs(src, i)));
      if (c !== (isObject ? 0x7d : 0x5d)) {
        key = isObject;
        continue;
      }
      // Empty: close it below, with no element (the size written there is sl + 1).
      sl = -1;
    } else if (c === 0x74 && src.startsWith('true', i)) i += 4;
    else if (c === 0x66 && src.startsWith('false', i)) i += 5;
    else if (c === 0x6e && src.startsWith('null', i)) i += 4;
    else {
      const from = i;
      i = readNumber(src, i);
      if ((i - from === 15 || i - from === 16) && depth > 0 && allDigits(src, from, i)) cardLengthIntegers.push(from, i);
    }

    // After a value: closing brackets, then a comma (next value) or the end of the document.
    for (;;) {
      if ((c = src.charCodeAt(i)) <= 0x20) c = src.charCodeAt((i = skipWs(src, i)));
      if (depth === 0) {
        sl++;
        if (multi && i < n) break;
        if (i !== n) throw invalid(i);
        return {
          count,
          start: start.subarray(0, count),
          end: end.subarray(0, count),
          flags: flags.subarray(0, count),
          frame: frame.subarray(0, count),
          slot: slot.subarray(0, count),
          frames: { kind: fKind.subarray(0, fcount), parent: fParent.subarray(0, fcount), slot: fSlot.subarray(0, fcount), keyTok: fKeyTok.subarray(0, fcount), size: fSize.subarray(0, fcount), firstToken: fFirst.subarray(0, fcount), endToken: fEnd.subarray(0, fcount), next: fNext.subarray(0, fcount) },
          markedKeys,
          escaped,
          cardLengthIntegers,
        };
      }
      if (c === 0x2c /* , */) {
        i++;
        if (isObject) key = true;
        else sl++;
        break;
      }
      if (c !== (isObject ? 0x7d : 0x5d)) throw invalid(i);
      i++;
      fSize[fr] = sl + 1;
      fEnd[fr] = count;
      fNext[fr] = fcount;
      depth--;
      fr = savedFrame[depth]!;
      sl = savedSlot[depth]!;
      isObject = fr >= 0 && fKind[fr] === 0;
    }
  }
}

/** Nearest member name governing string token `t` (its own key in an object, the array's key in an array), or -1. */
export function keyTokenOf(strings: JsonStrings, t: number): number {
  if ((strings.flags[t]! & IS_KEY) !== 0) return -1;
  const fr = strings.frame[t]!;
  if (fr < 0) return -1;
  return strings.frames.kind[fr] === 0 ? strings.slot[t]! : strings.frames.keyTok[fr]!;
}

function allDigits(src: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = src.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

/** RFC 8259 number at `i`; returns the offset after it. */
function readNumber(src: string, i: number): number {
  const begin = i;
  let c = src.charCodeAt(i);
  if (c === 0x2d) c = src.charCodeAt(++i);
  if (c === 0x30) c = src.charCodeAt(++i);
  else if (c >= 0x31 && c <= 0x39) {
    do c = src.charCodeAt(++i);
    while (c >= 0x30 && c <= 0x39);
  } else throw invalid(begin);
  if (c === 0x2e) {
    c = src.charCodeAt(++i);
    if (!(c >= 0x30 && c <= 0x39)) throw invalid(begin);
    do c = src.charCodeAt(++i);
    while (c >= 0x30 && c <= 0x39);
  }
  if (c === 0x65 || c === 0x45) {
    c = src.charCodeAt(++i);
    if (c === 0x2b || c === 0x2d) c = src.charCodeAt(++i);
    if (!(c >= 0x30 && c <= 0x39)) throw invalid(begin);
    do c = src.charCodeAt(++i);
    while (c >= 0x30 && c <= 0x39);
  }
  return i;
}
