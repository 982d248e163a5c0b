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

const isAscii = (s: string): boolean => /^[\x00-\x7f]*$/.test(s);

/** Scratch bytes for the lower-cased text, reused between calls up to this size (larger texts get their own). */
const SCRATCH_MAX = 1 << 20;
let scratch = Buffer.allocUnsafe(0);

/** The UTF-8 bytes of `text` (valid until the next call): ASCII characters are one byte each, every other character only bytes >= 0x80. */
function utf8Of(text: string): Uint8Array {
  const need = text.length * 3;
  if (need > SCRATCH_MAX) return Buffer.from(text, 'utf8');
  if (scratch.length < need) scratch = Buffer.allocUnsafe(Math.min(SCRATCH_MAX, Math.max(need, 4096)));
  return scratch.subarray(0, scratch.write(text, 0, 'utf8'));
}

/**
 * All detector keywords, found in one pass over the lower-cased text, the definition being
 * `text.toLowerCase().includes(keyword)` for case-insensitive keywords and `text.includes(keyword)`
 * otherwise. The text is lower-cased and written as UTF-8 (both native, a few microseconds for 64 KiB),
 * so ASCII keywords compare byte for byte and no other character can fake one of theirs. The bytes are
 * then read two at a time: a keyword of three or more characters starting at an even offset begins
 * with the pair read there, one at an odd offset has its second and third characters read as a pair;
 * a table indexed by the pair's two bytes lists the keywords (and at which of those two places) to
 * compare. Half as many table reads as bytes, from a typed array: about a third of a `JSON.parse` of
 * the same text, where a loop of `charCodeAt` over every position cost more than one.
 *
 * Case-sensitive keywords are looked up lower-cased, and those seen are confirmed in the text itself by
 * one native search each; keywords of one or two characters and non-ASCII ones are native searches
 * (`includes` stops at the first hit). İ lower-cases to `i` + U+0307: where the text holds one, the
 * combining dots are dropped so that it reads as `i` (a keyword may then be reported that the plain
 * definition would not: a detector runs for nothing, never the other way round).
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
  const size = entries.length;
  /** Searched natively: short or non-ASCII keywords. */
  const native: Entry[] = [];
  /** Lower-cased bytes of the table's keywords, by entry id. */
  const bytesOf: (Uint8Array | undefined)[] = new Array(size);
  /** Slots (entry id * 2 + second) by ASCII pair of bytes (a << 7 | b). */
  const lists = new Map<number, number[]>();
  for (const e of entries) {
    const lowered = e.keyword.toLowerCase();
    if (lowered.length < 3 || !isAscii(lowered) || !isAscii(e.keyword)) {
      native.push(e);
      continue;
    }
    const b = Buffer.from(lowered, 'latin1');
    bytesOf[e.id] = b;
    // Slot value: entry id * 2 + (1 when the pair is the keyword's second and third bytes).
    for (const [p, second] of [[(b[0]! << 7) | b[1]!, 0], [(b[1]! << 7) | b[2]!, 1]] as const) {
      let list = lists.get(p);
      if (list === undefined) lists.set(p, (list = []));
      if (!list.includes(e.id * 2 + second)) list.push(e.id * 2 + second);
    }
  }
  // Per ASCII pair (a << 7 | b): its list's start in `slots` << 8 | its length (0: none).
  const pairList = new Uint32Array(128 * 128);
  const slotList: number[] = [];
  for (const [p, list] of [...lists].sort((x, y) => x[0] - y[0])) {
    pairList[p] = (slotList.length << 8) | list.length;
    slotList.push(...list);
  }
  const slots = Int32Array.from(slotList);
  // One more byte checked before the whole comparison (most pair hits are common bigrams): the
  // keyword's third byte after a first pair, its first byte before a second one.
  const checkAt = Int8Array.from(slotList, (slot) => ((slot & 1) === 0 ? 2 : -1));
  const checkByte = Uint8Array.from(slotList, (slot) => bytesOf[slot >> 1]![(slot & 1) === 0 ? 2 : 0]!);
  const kwBytes = bytesOf;
  const ignoreCase = entries.map((e) => e.ignoreCase);

  return (text, lower) => {
    const found = new Uint8Array(size);
    let lowered = lower();
    if (text.includes('\u0130')) lowered = lowered.replaceAll('\u0307', '');
    if (slots.length > 0) {
      // Locals rather than the captured bindings: 2-4 % of masking in alternated runs.
      const pairs = pairList;
      const slotOf = slots;
      const at2 = checkAt;
      const byte2 = checkByte;
      const u = utf8Of(lowered);
      const n = u.length;
      for (let i = 0; i + 1 < n; i += 2) {
        const a = u[i]!;
        const b = u[i + 1]!;
        if ((a | b) >= 0x80) continue;
        const list = pairs[(a << 7) | b]!;
        if (list === 0) continue;
        for (let k = list >>> 8, last = (list >>> 8) + (list & 0xff); k < last; k++) {
          if (u[i + at2[k]!] !== byte2[k]) continue;
          const slot = slotOf[k]!;
          const id = slot >> 1;
          if (found[id] !== 0) continue;
          const at = i - (slot & 1);
          const kw = kwBytes[id]!;
          if (at < 0 || at + kw.length > n) continue;
          let j = 2;
          while (j < kw.length && u[at + j] === kw[j]) j++;
          if (j === kw.length && u[at] === kw[0] && u[at + 1] === kw[1]) found[id] = ignoreCase[id] ? 1 : 2;
        }
      }
    }
    for (const e of entries) {
      // Seen lower-cased: a case-sensitive keyword is confirmed as written.
      if (found[e.id] === 2) found[e.id] = text.includes(e.keyword) ? 1 : 0;
    }
    for (const e of native) if ((e.ignoreCase ? lowered : text).includes(e.keyword)) found[e.id] = 1;
    const seen = new Set<string>();
    for (const e of entries) if (found[e.id] === 1) seen.add(e.keyword.toLowerCase());
    return seen;
  };
}
