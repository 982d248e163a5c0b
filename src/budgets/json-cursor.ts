/**
 * A validating cursor over JSON bytes (pure), for readers that want a few members of a large
 * document without JSON.parse building all of it. It accepts exactly what JSON.parse accepts, and
 * throws JSON_BAIL at anything else (and past MAX_DEPTH), so a reader can hand such a body to
 * JSON.parse instead. Strings are returned as ranges; decode() turns one into text.
 */

export const JSON_BAIL = Symbol('json-bail');
const BAIL = JSON_BAIL;
const MAX_DEPTH = 64;
/** String flags: the content has escapes / bytes that are not ASCII. */
export const ESCAPED = 1;
export const NON_ASCII = 2;

/** Per byte inside a string: 0 ordinary ASCII, 1 the closing quote, 2 a backslash, 3 forbidden (raw control), 4 not ASCII. */
const STRING_BYTE = new Uint8Array(256).map((_, c) => (c === 0x22 ? 1 : c === 0x5c ? 2 : c < 0x20 ? 3 : c >= 0x80 ? 4 : 0));

const isDigit = (c: number | undefined): boolean => c !== undefined && c >= 0x30 && c <= 0x39;
const isHex = (c: number | undefined): boolean => c !== undefined && ((c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x66));

/** [start, end, flags] of a string's content; start -1: absent. */
export type Range = [number, number, number];

/** The text of [start, end) of `bytes` as JSON.parse gives it. */
export function decode(bytes: Uint8Array, start: number, end: number, f: number): string {
  if ((f & ESCAPED) !== 0) return JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset + start - 1, end - start + 2).toString('utf8')) as string;
  const text = Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start);
  return (f & NON_ASCII) !== 0 ? text.toString('utf8') : text.toString('latin1');
}

/**
 * The cursor's state lives in fields, not module-level variables: a loop that moved a module-level
 * `let` ran 2.3× slower than the same loop on a field or a local (Node 20, measured).
 */
export abstract class JsonCursor {
  p = 0;
  /** Flags of the string string() last read. */
  flags = 0;

  constructor(
    readonly b: Uint8Array,
    readonly n: number,
  ) {}

  /** Reads the value of a member whose name is [start, end), for object(depth, members ≠ 0). */
  abstract member(members: number, start: number, end: number): void;

  ws(): void {
    if (this.b[this.p]! > 0x20) return;
    const b = this.b;
    const n = this.n;
    let i = this.p;
    while (i < n) {
      const c = b[i]!;
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
      i++;
    }
    this.p = i;
  }

  /** At an opening bracket: moves past it; false, and past `close` as well, when the container is empty. */
  enter(close: number): boolean {
    this.p++;
    this.ws();
    if (this.b[this.p] !== close) return true;
    this.p++;
    return false;
  }

  expect(c: number): void {
    if (this.b[this.p] !== c) throw BAIL;
    this.p++;
  }

  /** After a container's element: true at a comma (skipped with the space after it), false at `close` (skipped). */
  more(close: number): boolean {
    this.ws();
    if (this.b[this.p] === 0x2c) {
      this.p++;
      this.ws();
      return true;
    }
    this.expect(close);
    return false;
  }

  /** At an opening quote: moves past the closing one, returns the content's end; `flags` says what is inside. */
  string(): number {
    const b = this.b;
    const n = this.n;
    let i = this.p + 1;
    let f = 0;
    for (;;) {
      if (i >= n) throw BAIL;
      const k = STRING_BYTE[b[i]!]!;
      if (k === 0) {
        i++;
        continue;
      }
      if (k === 1) break;
      if (k === 3) throw BAIL;
      if (k === 4) {
        f |= NON_ASCII;
        i++;
        continue;
      }
      f |= ESCAPED;
      const e = b[i + 1];
      if (e === 0x75) {
        if (!(isHex(b[i + 2]) && isHex(b[i + 3]) && isHex(b[i + 4]) && isHex(b[i + 5]))) throw BAIL;
        i += 6;
      } else if (e === 0x22 || e === 0x5c || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74) i += 2;
      else throw BAIL;
    }
    this.flags = f;
    this.p = i + 1;
    return i;
  }

  /** Reads a string into `into`. */
  stringInto(into: number[]): void {
    into[0] = this.p + 1;
    into[1] = this.string();
    into[2] = this.flags;
  }

  digits(i: number): number {
    const b = this.b;
    const n = this.n;
    while (i < n) {
      const c = b[i]!;
      if (c < 0x30 || c > 0x39) break;
      i++;
    }
    return i;
  }

  number(): void {
    const b = this.b;
    let i = this.p;
    if (b[i] === 0x2d) i++;
    if (b[i] === 0x30) i++;
    else if (isDigit(b[i])) i = this.digits(i + 1);
    else throw BAIL;
    if (b[i] === 0x2e) {
      if (!isDigit(b[i + 1])) throw BAIL;
      i = this.digits(i + 2);
    }
    const e = b[i];
    if (e === 0x65 || e === 0x45) {
      i++;
      if (b[i] === 0x2b || b[i] === 0x2d) i++;
      if (!isDigit(b[i])) throw BAIL;
      i = this.digits(i + 1);
    }
    this.p = i;
  }

  literal(word: string): void {
    for (let k = 0; k < word.length; k++) if (this.b[this.p + k] !== word.charCodeAt(k)) throw BAIL;
    this.p += word.length;
  }

  /** Skips one value; for an array, returns its element count (what a `points` member weighs). */
  value(depth: number): number {
    const c = this.b[this.p];
    if (c === 0x22) this.string();
    else if (c === 0x7b) this.object(depth + 1, 0);
    else if (c === 0x5b) return this.array(depth + 1);
    else if (c === 0x74) this.literal('true');
    else if (c === 0x66) this.literal('false');
    else if (c === 0x6e) this.literal('null');
    else this.number();
    return 0;
  }

  array(depth: number): number {
    if (depth > MAX_DEPTH) throw BAIL;
    if (!this.enter(0x5d)) return 0;
    let count = 0;
    do {
      this.value(depth);
      count++;
    } while (this.more(0x5d));
    return count;
  }

  /** An object, its members skipped (members 0) or each handed to member(). */
  object(depth: number, members: number): void {
    if (depth > MAX_DEPTH) throw BAIL;
    if (!this.enter(0x7d)) return;
    do {
      if (this.b[this.p] !== 0x22) throw BAIL;
      const start = this.p + 1;
      const end = this.string();
      // An escaped name may spell `metric` or `series`: only JSON.parse reads it right.
      if (members !== 0 && (this.flags & ESCAPED) !== 0) throw BAIL;
      this.ws();
      this.expect(0x3a);
      this.ws();
      if (members === 0) this.value(depth);
      else this.member(members, start, end);
    } while (this.more(0x7d));
  }

  named(start: number, end: number, name: string): boolean {
    if (end - start !== name.length) return false;
    for (let k = 0; k < name.length; k++) if (this.b[start + k] !== name.charCodeAt(k)) return false;
    return true;
  }
}
