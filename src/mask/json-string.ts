/** Decoding of JSON string contents that the walker already validated, and the way back to raw offsets. */

/** Decoded value of the raw content `src[start, end)` (escapes resolved). */
export function decodeJsonString(src: string, start: number, end: number): string {
  return JSON.parse(`"${src.slice(start, end)}"`) as string;
}

/**
 * For each decoded character, the raw offset it came from (one entry past the end for `end`).
 * One escape sequence (`\n`, `\u00e9`) is one decoded UTF-16 unit.
 */
export function rawOffsets(src: string, start: number, end: number): Int32Array {
  const map = new Int32Array(end - start + 1);
  let d = 0;
  let r = start;
  while (r < end) {
    map[d++] = r;
    r += src.charCodeAt(r) === 0x5c ? (src.charCodeAt(r + 1) === 0x75 ? 6 : 2) : 1;
  }
  map[d] = end;
  return map.subarray(0, d + 1);
}
