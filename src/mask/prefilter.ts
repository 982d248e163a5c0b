/** A detector keyword and how to compare it (against the lower-cased text, or the text as is). */
export interface KeywordSpec {
  readonly keyword: string;
  readonly ignoreCase: boolean;
}

interface Entry {
  /** Lower-cased when `ignoreCase`. */
  readonly keyword: string;
  readonly ignoreCase: boolean;
  /** Index into the found flags. */
  readonly id: number;
}

/** The only characters whose `toLowerCase()` holds ASCII: KELVIN SIGN → `k`, CAPITAL I WITH DOT → `i` + U+0307. */
const KELVIN = 0x212a;
const DOTTED_I = 0x130;

const isAscii = (s: string): boolean => /^[\x00-\x7f]*$/.test(s);

/** The ASCII spellings a keyword's character may take in the text. */
function variants(c: number, ignoreCase: boolean): number[] {
  if (!ignoreCase || c < 0x61 || c > 0x7a) return [c];
  return [c, c - 0x20];
}

/** `hay` holds `e.keyword` at `at`; case-insensitive keywords compare as in `toLowerCase()`. */
function holdsAt(hay: string, at: number, e: Entry): boolean {
  const kw = e.keyword;
  if (!e.ignoreCase) return hay.startsWith(kw, at);
  if (at + kw.length > hay.length) return false;
  for (let j = 0; j < kw.length; j++) {
    let c = hay.charCodeAt(at + j);
    if (c >= 0x41 && c <= 0x5a) c |= 0x20;
    else if (c === KELVIN) c = 0x6b;
    else if (c === DOTTED_I) c = 0x69;
    if (c !== kw.charCodeAt(j)) return false;
  }
  return true;
}

/**
 * All detector keywords, found in one pass over the text. Each position's two characters index a
 * table of the keywords that start with them (every case spelling for case-insensitive ones), and
 * only those are compared; single-character keywords fill every pair that starts with them. The
 * cost is one read per character whatever the number of keywords: one native search per keyword
 * (memchr on its rarest character) cost more than a `JSON.parse` of the text with some eighty of them.
 *
 * Case-insensitive keywords match wherever `toLowerCase()` would hold them: ASCII letters fold, and
 * the two characters that lower-case to ASCII send the text to a slower folding comparison. Keywords
 * with non-ASCII characters (custom ones) are searched in `lower()`.
 *
 * Returns the keywords that occur (lower-cased: `seen.has(k.toLowerCase())`).
 */
export function createPrefilter(specs: readonly KeywordSpec[]): (text: string, lower: () => string) => ReadonlySet<string> {
  const byKey = new Map<string, Entry>();
  for (const s of specs) {
    const keyword = s.ignoreCase ? s.keyword.toLowerCase() : s.keyword;
    if (keyword.length === 0) continue;
    const k = `${s.ignoreCase ? 'i' : 's'}${keyword}`;
    if (!byKey.has(k)) byKey.set(k, { keyword, ignoreCase: s.ignoreCase, id: byKey.size });
  }
  const entries = [...byKey.values()];
  /** Index into `buckets` of the keywords starting with ASCII characters (a, b) at `a << 7 | b`; 0: none. */
  const pairs = new Uint16Array(128 * 128);
  const buckets: Entry[][] = [[]];
  const other: Entry[] = [];
  /** Single-character keywords by character, where no pair starts (the last character, one before a non-ASCII one). */
  const singles: Entry[][] = Array.from({ length: 128 }, () => []);
  const add = (p: number, e: Entry): void => {
    if (pairs[p] === 0) {
      pairs[p] = buckets.push([]) - 1;
    }
    buckets[pairs[p]!]!.push(e);
  };
  for (const e of entries) {
    if (!isAscii(e.keyword)) {
      other.push(e);
      continue;
    }
    for (const a of variants(e.keyword.charCodeAt(0), e.ignoreCase)) {
      if (e.keyword.length === 1) {
        for (let b = 0; b < 128; b++) add((a << 7) | b, e);
        singles[a]!.push(e);
      } else for (const b of variants(e.keyword.charCodeAt(1), e.ignoreCase)) add((a << 7) | b, e);
    }
  }
  const foldable = entries.filter((e) => e.ignoreCase && isAscii(e.keyword));
  const size = entries.length;

  return (text, lower) => {
    const found = new Uint8Array(size);
    const n = text.length;
    let c0 = n > 0 ? text.charCodeAt(0) : 0;
    let folds = false;
    for (let i = 0; i + 1 < n; i++) {
      const c1 = text.charCodeAt(i + 1);
      if ((c0 | c1) < 0x80) {
        const b = pairs[(c0 << 7) | c1]!;
        if (b !== 0) {
          const list = buckets[b]!;
          for (let k = 0; k < list.length; k++) {
            const e = list[k]!;
            if (found[e.id] === 0 && holdsAt(text, i, e)) found[e.id] = 1;
          }
        }
      } else {
        // A non-ASCII character starts no pair: single-character keywords before one are looked up alone.
        if (c0 < 0x80) for (const e of singles[c0]!) found[e.id] = 1;
        if (c0 === KELVIN || c0 === DOTTED_I || c1 === KELVIN || c1 === DOTTED_I) folds = true;
      }
      c0 = c1;
    }
    if (n > 0 && c0 < 0x80) for (const e of singles[c0]!) found[e.id] = 1;
    // The two characters that lower-case to ASCII: compare the case-insensitive keywords where they stand.
    if (folds) for (let i = 0; i < n; i++) for (const e of foldable) if (found[e.id] === 0 && holdsAt(text, i, e)) found[e.id] = 1;
    for (const e of other) if (found[e.id] === 0 && (e.ignoreCase ? lower() : text).includes(e.keyword)) found[e.id] = 1;
    const seen = new Set<string>();
    for (const e of entries) if (found[e.id] === 1) seen.add(e.keyword.toLowerCase());
    return seen;
  };
}
