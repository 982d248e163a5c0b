/**
 * Removes elements of a submission's top-level `series` array by position in the raw text (pure):
 * the rest of the body stays byte for byte as the agent wrote it (no JSON.parse → stringify, which
 * would rewrite numbers). Only called on bodies measurePayload already parsed as JSON.
 */

const WS = new Set([0x20, 0x0a, 0x0d, 0x09]);

function skipWs(s: string, i: number): number {
  while (i < s.length && WS.has(s.charCodeAt(i))) i++;
  return i;
}

/** End (exclusive) of the string starting at s[i] === '"'. */
function skipString(s: string, i: number): number {
  for (let j = i + 1; j < s.length; j++) {
    const c = s.charCodeAt(j);
    if (c === 0x5c) j++;
    else if (c === 0x22) return j + 1;
  }
  throw new SyntaxError('unterminated string');
}

/** End (exclusive) of the value starting at s[i]. */
function skipValue(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c === 0x22) return skipString(s, i);
  if (c !== 0x7b && c !== 0x5b) {
    let j = i;
    while (j < s.length && !WS.has(s.charCodeAt(j)) && s[j] !== ',' && s[j] !== '}' && s[j] !== ']') j++;
    return j;
  }
  let depth = 0;
  for (let j = i; j < s.length; j++) {
    const d = s.charCodeAt(j);
    if (d === 0x22) j = skipString(s, j) - 1;
    else if (d === 0x7b || d === 0x5b) depth++;
    else if (d === 0x7d || d === 0x5d) {
      depth--;
      if (depth === 0) return j + 1;
    }
  }
  throw new SyntaxError('unterminated container');
}

/**
 * [start, end) of each element of the top-level object's `series` array, or null if there is none.
 * Read as JSON.parse (and so measurePayload) reads the body: past a leading byte-order mark, and the
 * last `series` member when there are several, so a drop cuts the very array that was counted.
 */
export function seriesSpans(s: string): { start: number; end: number }[] | null {
  let i = skipWs(s, s.charCodeAt(0) === 0xfeff ? 1 : 0);
  if (s[i] !== '{') return null;
  i = skipWs(s, i + 1);
  let found: { start: number; end: number }[] | null = null;
  while (i < s.length && s[i] !== '}') {
    const keyEnd = skipString(s, i);
    const key = JSON.parse(s.slice(i, keyEnd)) as string;
    i = skipWs(s, keyEnd);
    if (s[i] !== ':') throw new SyntaxError('expected :');
    i = skipWs(s, i + 1);
    if (key === 'series' && s[i] === '[') {
      const spans: { start: number; end: number }[] = [];
      i = skipWs(s, i + 1);
      while (s[i] !== ']') {
        const end = skipValue(s, i);
        spans.push({ start: i, end });
        i = skipWs(s, end);
        if (s[i] === ',') i = skipWs(s, i + 1);
      }
      found = spans;
      i = skipWs(s, i + 1);
    } else {
      if (key === 'series') found = null; // a later non-array `series` is what JSON.parse keeps
      i = skipWs(s, skipValue(s, i));
    }
    if (s[i] === ',') i = skipWs(s, i + 1);
  }
  return found;
}

/** The body without the series at `drop` (indexes into the `series` array). */
export function dropSeries(text: string, drop: ReadonlySet<number>): string {
  const spans = seriesSpans(text);
  if (!spans || drop.size === 0) return text;
  const kept = spans.filter((_, i) => !drop.has(i));
  const first = spans[0]!;
  const last = spans[spans.length - 1]!;
  return text.slice(0, first.start) + kept.map((sp) => text.slice(sp.start, sp.end)).join(',') + text.slice(last.end);
}
