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
  /** Token index of the member name that governs this string (nearest enclosing key), or -1. */
  readonly keyTok: readonly number[];
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
}

export const ESCAPED = 1;
export const IS_KEY = 2;

const PLAIN = /[^"\\\x00-\x1f]*/y;
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const HEX4 = /[0-9a-fA-F]{4}/y;

const invalid = (at: number): KeywardError => new KeywardError('body_json_invalid', `at offset ${at}`);

/** Walks `src` (one JSON text, or with `multi` a whitespace-separated sequence such as NDJSON). */
export function walkJson(src: string, maxDepth: number, multi = false): JsonStrings {
  const start: number[] = [];
  const end: number[] = [];
  const flags: number[] = [];
  const keyTok: number[] = [];
  const frame: number[] = [];
  const slot: number[] = [];
  const fKind: number[] = [];
  const fParent: number[] = [];
  const fSlot: number[] = [];
  const fKeyTok: number[] = [];
  const n = src.length;
  const stack: number[] = [];
  // Per open frame: current slot (member-name token or element index).
  const slots: number[] = [];
  let doc = 0;
  let i = src.charCodeAt(0) === 0xfeff ? 1 : src.startsWith('\xef\xbb\xbf') ? 3 : 0;

  const ws = (p: number): number => {
    for (;;) {
      const c = src.charCodeAt(p);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) p++;
      else return p;
    }
  };

  const readString = (p: number, isKey: boolean): number => {
    let j = p + 1;
    let f = isKey ? IS_KEY : 0;
    for (;;) {
      PLAIN.lastIndex = j;
      PLAIN.test(src);
      j = PLAIN.lastIndex;
      const c = src.charCodeAt(j);
      if (c === 0x22) break;
      if (c !== 0x5c) throw invalid(j);
      f |= ESCAPED;
      const e = src.charCodeAt(j + 1);
      if (e === 0x75 /* u */) {
        HEX4.lastIndex = j + 2;
        if (!HEX4.test(src)) throw invalid(j);
        j += 6;
      } else if (e === 0x22 || e === 0x5c || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74) {
        j += 2;
      } else throw invalid(j);
    }
    const top = stack.length - 1;
    const fr = top >= 0 ? stack[top]! : -1;
    start.push(p + 1);
    end.push(j);
    flags.push(f);
    frame.push(fr);
    if (isKey) {
      slot.push(start.length - 1);
      keyTok.push(-1);
    } else if (fr < 0) {
      slot.push(doc);
      keyTok.push(-1);
    } else {
      slot.push(slots[top]!);
      keyTok.push(fKind[fr] === 0 ? slots[top]! : fKeyTok[fr]!);
    }
    return j + 1;
  };

  const open = (kind: number): void => {
    if (stack.length >= maxDepth) throw new KeywardError('body_too_deep', `deeper than ${maxDepth}`);
    const top = stack.length - 1;
    const parent = top >= 0 ? stack[top]! : -1;
    const id = fKind.length;
    fKind.push(kind);
    fParent.push(parent);
    fSlot.push(top >= 0 ? slots[top]! : doc);
    fKeyTok.push(parent < 0 ? -1 : fKind[parent] === 0 ? slots[top]! : fKeyTok[parent]!);
    stack.push(id);
    slots.push(0);
  };

  // Reads `"name" :` and leaves i at the member value.
  const member = (): void => {
    i = ws(i);
    if (src.charCodeAt(i) !== 0x22) throw invalid(i);
    i = readString(i, true);
    slots[slots.length - 1] = start.length - 1;
    i = ws(i);
    if (src.charCodeAt(i) !== 0x3a) throw invalid(i);
    i++;
  };

  for (;;) {
    // A value starts here.
    i = ws(i);
    const c = src.charCodeAt(i);
    let closed = false;
    if (c === 0x7b /* { */) {
      open(0);
      i = ws(i + 1);
      if (src.charCodeAt(i) === 0x7d) {
        i++;
        closed = true;
      } else {
        member();
        continue;
      }
    } else if (c === 0x5b /* [ */) {
      open(1);
      i = ws(i + 1);
      if (src.charCodeAt(i) === 0x5d) {
        i++;
        closed = true;
      } else continue;
    } else if (c === 0x22) {
      i = readString(i, false);
    } else if (c === 0x74 && src.startsWith('true', i)) i += 4;
    else if (c === 0x66 && src.startsWith('false', i)) i += 5;
    else if (c === 0x6e && src.startsWith('null', i)) i += 4;
    else {
      NUMBER.lastIndex = i;
      if (!NUMBER.test(src)) throw invalid(i);
      i = NUMBER.lastIndex;
    }
    if (closed) {
      stack.pop();
      slots.pop();
    }
    // After a value: commas and closing brackets until the next value or the end.
    let next = false;
    while (!next) {
      i = ws(i);
      const top = stack.length - 1;
      if (top < 0) {
        doc++;
        if (multi && i < n) {
          next = true;
          continue;
        }
        if (i !== n) throw invalid(i);
        return { count: start.length, start, end, flags, keyTok, frame, slot, frames: { kind: fKind, parent: fParent, slot: fSlot } };
      }
      const d = src.charCodeAt(i);
      const kind = fKind[stack[top]!];
      if (d === 0x2c /* , */) {
        i++;
        if (kind === 0) member();
        else slots[top] = slots[top]! + 1;
        next = true;
      } else if ((d === 0x7d && kind === 0) || (d === 0x5d && kind === 1)) {
        i++;
        stack.pop();
        slots.pop();
      } else throw invalid(i);
    }
  }
}
