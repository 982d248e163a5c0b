import { KeywardError } from '../errors.js';

/**
 * Every string in a JSON text, by position, with enough structure to name its path and its key.
 * Built by one validating pass over the raw text: no value is parsed, so numbers stay as written.
 */
export interface JsonStrings {
  readonly count: number;
  /** Content range in the source (quotes excluded). */
  readonly start: readonly number[];
  readonly end: readonly number[];
  /** bit 1: contains escapes; bit 2: is a member name. */
  readonly flags: readonly number[];
  /** Container frame of the token, -1 at top level. */
  readonly frame: readonly number[];
  /** In an object: token index of the member name; in an array: element index; at top level: document index. */
  readonly slot: readonly number[];
  readonly frames: JsonFrames;
}

export interface JsonFrames {
  /** 0 object, 1 array. */
  readonly kind: readonly number[];
  readonly parent: readonly number[];
  readonly slot: readonly number[];
  /** Token index of the member name that governs the frame (nearest enclosing key), or -1. */
  readonly keyTok: readonly number[];
}

export const ESCAPED = 1;
export const IS_KEY = 2;

const BAD_CONTROL = /[\x00-\x08\x0b\x0c\x0e-\x1f]/;
const RAW_WS_CONTROL = /[\t\n\r]/g;
const HEX4 = /[0-9a-fA-F]{4}/y;

const invalid = (at: number): KeywardError => new KeywardError('body_json_invalid', `at offset ${at}`);

/** Escape and newline positions found so far, shared by successive string reads (each found once). */
interface Cursor {
  backslash: number;
  newline: number;
}

/**
 * Reads the string whose opening quote is at `p`; returns 2 * (offset of the closing quote) + 1 when
 * it holds escapes, + 0 otherwise. Module-level (no captured state) so V8 keeps it fast.
 */
function readString(src: string, p: number, cur: Cursor): number {
  let j = p + 1;
  let escaped = 0;
  for (;;) {
    const q = src.indexOf('"', j);
    if (q < 0) throw invalid(p);
    if (cur.backslash < j && cur.backslash !== -1) cur.backslash = src.indexOf('\\', j);
    const b = cur.backslash;
    if (b === -1 || b > q) {
      j = q;
      break;
    }
    escaped = 1;
    const e = src.charCodeAt(b + 1);
    if (e === 0x75 /* u */) {
      HEX4.lastIndex = b + 2;
      if (!HEX4.test(src)) throw invalid(b);
      j = b + 6;
    } else if (e === 0x22 || e === 0x5c || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74) {
      j = b + 2;
    } else throw invalid(b);
  }
  if (cur.newline < p && cur.newline !== -1) {
    RAW_WS_CONTROL.lastIndex = p;
    cur.newline = RAW_WS_CONTROL.test(src) ? RAW_WS_CONTROL.lastIndex - 1 : -1;
  }
  if (cur.newline !== -1 && cur.newline < j) throw invalid(cur.newline);
  return j * 2 + escaped;
}

function skipWs(src: string, p: number): number {
  for (;;) {
    const c = src.charCodeAt(p);
    if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) p++;
    else return p;
  }
}

/** Walks `src` (one JSON text, or with `multi` a whitespace-separated sequence such as NDJSON). */
export function walkJson(src: string, maxDepth: number, multi = false): JsonStrings {
  // Raw control characters are invalid anywhere but as whitespace between tokens.
  if (BAD_CONTROL.test(src)) throw invalid(src.search(BAD_CONTROL));
  const start: number[] = [];
  const end: number[] = [];
  const flags: number[] = [];
  const frame: number[] = [];
  const slot: number[] = [];
  const fKind: number[] = [];
  const fParent: number[] = [];
  const fSlot: number[] = [];
  const fKeyTok: number[] = [];
  const n = src.length;
  const stack: number[] = [];
  const slots: number[] = [];
  const cur: Cursor = { backslash: -2, newline: -2 };
  let doc = 0;
  let top = -1;
  let i = src.charCodeAt(0) === 0xfeff ? 1 : src.startsWith('\xef\xbb\xbf') ? 3 : 0;
  let expectKey = false;

  for (;;) {
    i = skipWs(src, i);
    let c = src.charCodeAt(i);
    if (expectKey) {
      // A member name, then `:`, then fall through to read its value.
      if (c !== 0x22) throw invalid(i);
      const r = readString(src, i, cur);
      const q = r >> 1;
      start.push(i + 1);
      end.push(q);
      flags.push(IS_KEY | (r & 1));
      frame.push(stack[top]!);
      slot.push(start.length - 1);
      slots[top] = start.length - 1;
      i = skipWs(src, q + 1);
      if (src.charCodeAt(i) !== 0x3a) throw invalid(i);
      i = skipWs(src, i + 1);
      c = src.charCodeAt(i);
      expectKey = false;
    }
    if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (top + 1 >= maxDepth) throw new KeywardError('body_too_deep', `deeper than ${maxDepth}`);
      const parent = top >= 0 ? stack[top]! : -1;
      const kind = c === 0x7b ? 0 : 1;
      fKind.push(kind);
      fParent.push(parent);
      fSlot.push(top >= 0 ? slots[top]! : doc);
      fKeyTok.push(parent < 0 ? -1 : fKind[parent] === 0 ? slots[top]! : fKeyTok[parent]!);
      stack.push(fKind.length - 1);
      slots.push(0);
      top++;
      i = skipWs(src, i + 1);
      const close = src.charCodeAt(i);
      if ((kind === 0 && close === 0x7d) || (kind === 1 && close === 0x5d)) {
        i++;
        stack.pop();
        slots.pop();
        top--;
      } else {
        expectKey = kind === 0;
        continue;
      }
    } else if (c === 0x22) {
      const r = readString(src, i, cur);
      const q = r >> 1;
      start.push(i + 1);
      end.push(q);
      flags.push(r & 1);
      frame.push(top >= 0 ? stack[top]! : -1);
      slot.push(top >= 0 ? slots[top]! : doc);
      i = q + 1;
    } else if (c === 0x74 && src.startsWith('true', i)) i += 4;
    else if (c === 0x66 && src.startsWith('false', i)) i += 5;
    else if (c === 0x6e && src.startsWith('null', i)) i += 4;
    else i = readNumber(src, i);

    // After a value: commas and closing brackets until the next value or the end.
    for (;;) {
      i = skipWs(src, i);
      if (top < 0) {
        doc++;
        if (multi && i < n) break;
        if (i !== n) throw invalid(i);
        return { count: start.length, start, end, flags, frame, slot, frames: { kind: fKind, parent: fParent, slot: fSlot, keyTok: fKeyTok } };
      }
      const d = src.charCodeAt(i);
      const kind = fKind[stack[top]!];
      if (d === 0x2c /* , */) {
        i++;
        if (kind === 0) expectKey = true;
        else slots[top] = slots[top]! + 1;
        break;
      }
      if ((d === 0x7d && kind === 0) || (d === 0x5d && kind === 1)) {
        i++;
        stack.pop();
        slots.pop();
        top--;
      } else throw invalid(i);
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
