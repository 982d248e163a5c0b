/**
 * The series of a metric submission read from the masking pass's walk of it (pure): that walk
 * already found every string and container of the body, so counting series costs no second pass
 * over its bytes. It answers as scanSubmission does, exactly as JSON.parse reads the body (last
 * member wins, non-object `series` elements skipped, non-string tags ignored), or null where only
 * those can say: a top level that is not an object, an escaped member name where it could spell a
 * field, a resource field that is neither a string nor null.
 *
 * The answer is numbers and the body's bytes, no strings: a masking worker hands it back by moving
 * buffers, and the metric and tags of a series are decoded only when the guard asks for them.
 */
import { isAscii } from 'node:buffer';
import { ESCAPED, type JsonStrings } from '../mask/json-walker.js';
import { decode, NON_ASCII } from './json-cursor.js';
import type { SeriesRef } from './payload.js';
import { finishIdInto, hexId, seriesIdOf } from './series-id.js';
import { ByteKey, feedByteKey, MAX_BYTE_SORTED_TAGS, OneResource } from './series-id-bytes.js';

export interface WalkedSubmission {
  readonly metricPoints: number;
  /** Series read; -1: the document has no `series` array (its last `series` member is not one). */
  readonly count: number;
  /** TABLE numbers per series: its index in `series`, its metric's range and flags, its first tag and tag count. */
  readonly table: Int32Array;
  /** [start, end, flags] of each tag, series after series (flags: json-cursor's ESCAPED, NON_ASCII). */
  readonly tags: Int32Array;
  /** The id's two lanes per series (series-id.ts's hexId). */
  readonly ids: Int32Array;
  /** The decoded body the ranges point into. */
  readonly text: Uint8Array;
}

const TABLE = 6;

const NO_SERIES: WalkedSubmission = Object.freeze({ metricPoints: 0, count: -1, table: new Int32Array(0), tags: new Int32Array(0), ids: new Int32Array(0), text: new Uint8Array(0) });

/** One series of a reading: metric and tags are decoded from the body's bytes on first use. */
class WalkedSeries implements SeriesRef {
  private metricText: string | undefined = undefined;
  private tagTexts: string[] | undefined = undefined;
  constructor(
    private readonly w: WalkedSubmission,
    private readonly n: number,
    readonly index: number,
    readonly id: string,
  ) {}
  get metric(): string {
    const t = this.w.table;
    const at = this.n * TABLE;
    return (this.metricText ??= decode(this.w.text, t[at + 1]!, t[at + 2]!, t[at + 3]!));
  }
  get tags(): readonly string[] {
    if (this.tagTexts === undefined) {
      const { table, tags: r, text } = this.w;
      const first = table[this.n * TABLE + 4]!;
      const tags: string[] = [];
      for (let i = first; i < first + table[this.n * TABLE + 5]!; i++) tags.push(decode(text, r[i * 3]!, r[i * 3 + 1]!, r[i * 3 + 2]!));
      this.tagTexts = tags;
    }
    return this.tagTexts;
  }
}

/** The SeriesRefs of a reading (null: no `series` array). */
export function unpackSeries(w: WalkedSubmission): SeriesRef[] | null {
  if (w.count < 0) return null;
  const out: SeriesRef[] = [];
  for (let i = 0; i < w.count; i++) out.push(new WalkedSeries(w, i, w.table[i * TABLE]!, hexId(w.ids[i * 2]!, w.ids[i * 2 + 1]!)));
  return out;
}

// The members an item is read for.
const METRIC = 0;
const TAG_LIST = 1;
const HOST = 2;
const POINTS = 3;
const RESOURCE_LIST = 4;

const OBJECT = 0;
const ARRAY = 1;
/** A member's value that is a literal (number, true, false, null). */
const NOT_READ = -1;

/** Four bytes at `i` as one little-endian number: member names are compared four bytes at a time. */
const word = (b: Uint8Array, i: number): number => b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24);
const wordOf = (s: string): number => s.charCodeAt(0) | (s.charCodeAt(1) << 8) | (s.charCodeAt(2) << 16) | (s.charCodeAt(3) << 24);
const TAGS_WORD = wordOf('tags');
const HOST_WORD = wordOf('host');
const METR_WORD = wordOf('metr');
const POIN_WORD = wordOf('poin');
const RESO_WORD = wordOf('reso');
const URCE_WORD = wordOf('urce');
const SERI_WORD = wordOf('seri');
const TYPE_WORD = wordOf('type');
const NAME_WORD = wordOf('name');

/** Which field of a series a member name [start, end) is, or -1. */
function itemField(b: Uint8Array, start: number, end: number): number {
  switch (end - start) {
    case 4: {
      const w = word(b, start);
      return w === TAGS_WORD ? TAG_LIST : w === HOST_WORD ? HOST : -1;
    }
    case 6: {
      const w = word(b, start);
      if (w === METR_WORD) return b[start + 4] === 0x69 && b[start + 5] === 0x63 ? METRIC : -1; // "ic"
      return w === POIN_WORD && b[start + 4] === 0x74 && b[start + 5] === 0x73 ? POINTS : -1; // "ts"
    }
    case 9:
      return word(b, start) === RESO_WORD && word(b, start + 4) === URCE_WORD && b[start + 8] === 0x73 ? RESOURCE_LIST : -1; // "s"
    default:
      return -1;
  }
}

const isSeriesName = (b: Uint8Array, start: number, end: number): boolean => end - start === 6 && word(b, start) === SERI_WORD && b[start + 4] === 0x65 && b[start + 5] === 0x73; // "es"

/** 0 for a resource's `type`, 1 for its `name`, else -1. */
function resourceField(b: Uint8Array, start: number, end: number): number {
  if (end - start !== 4) return -1;
  const w = word(b, start);
  return w === TYPE_WORD ? 0 : w === NAME_WORD ? 1 : -1;
}

/** The first byte of the value of the member whose name ends at `nameEnd` (its closing quote). */
function valueByte(b: Uint8Array, nameEnd: number): number {
  if (b[nameEnd + 1] === 0x3a && b[nameEnd + 2]! > 0x20) return b[nameEnd + 2]!; // compact JSON: `"name":value`
  let i = nameEnd + 1;
  let c = b[i]!;
  while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09 || c === 0x3a) c = b[++i]!;
  return c;
}

/**
 * An Int32Array that grows as the body's series are read: sized by what the body holds, not by its
 * `series` array's length (a million numbers there are no series), and handed out at its exact size.
 */
class Column {
  data: Int32Array;
  length = 0;
  constructor(capacity: number) {
    this.data = new Int32Array(Math.max(16, capacity));
  }
  /** Room for `n` more; `data` may be a new array after this. */
  reserve(n: number): void {
    if (this.length + n <= this.data.length) return;
    const grown = new Int32Array(Math.max(this.data.length * 2, this.length + n));
    grown.set(this.data.subarray(0, this.length));
    this.data = grown;
  }
  /** The column's contents in an ArrayBuffer of their own. */
  done(): Int32Array {
    return this.data.slice(0, this.length);
  }
}

/** Reads one walked document (see the file comment); `body` holds the bytes the walk's offsets point into. */
export function seriesFromWalk(w: JsonStrings, body: Uint8Array): WalkedSubmission | null {
  const { start, end, flags, frame } = w;
  const { kind, parent, slot: fslot, size, firstToken, endToken, next } = w.frames;
  const nf = kind.length;
  if (nf === 0 || kind[0] !== OBJECT || parent[0] !== -1) return null;

  // Members of an object are read one by one: a name, then its value, skipped whole when it is a
  // container. `child` is the object's next child frame, the container of the next such member.
  let child = 0;
  /** The value of member name `t`: the string's token (≥ 0), a container's frame (encoded -2 - frame), or NOT_READ for a literal. */
  let value = 0;
  /** Reads the value of member name `t` into `value`; returns the token after it. */
  const member = (t: number): number => {
    const c = valueByte(body, end[t]!);
    if (c === 0x22) {
      value = t + 1;
      return t + 2;
    }
    if (c === 0x5b || c === 0x7b) {
      const g = child;
      child = next[g]!;
      value = -2 - g;
      return endToken[g]!;
    }
    value = NOT_READ;
    return t + 1;
  };
  const arrayIn = (v: number): number => (v <= -2 && kind[-2 - v] === ARRAY ? -2 - v : -1);
  const stringIn = (v: number): number => (v >= 0 ? v : -1);

  // The document's last `series` member.
  let series = NOT_READ;
  child = 1;
  for (let t = firstToken[0]!; t < endToken[0]!; ) {
    if ((flags[t]! & ESCAPED) !== 0) return null; // it may spell `series`: JSON.parse reads it right
    const isSeries = isSeriesName(body, start[t]!, end[t]!);
    t = member(t);
    if (isSeries) series = value;
  }
  const array = arrayIn(series);
  if (array < 0) return NO_SERIES;

  const nonAscii = isAscii(body) ? 0 : NON_ASCII;
  const text = (t: number): string => decode(body, start[t]!, end[t]!, (flags[t]! & ESCAPED) | nonAscii);
  const guess = Math.min(size[array]!, 1024);
  const table = new Column(guess * TABLE);
  const ids = new Column(guess * 2);
  const tags = new Column(guess * 15);
  const key = Object.assign(new ByteKey(), { stride: 3 });
  // readResources' answer about the resources array of the series being read.
  let containers = 0;
  let onlyObject = false;
  let onlyType = -1;
  let onlyName = -1;
  let points = 0;
  for (let g = array + 1; g < next[array]!; g = next[g]!) {
    if (kind[g] !== OBJECT) continue;
    // Its last member of each field (last wins, as in JSON.parse).
    let metric = -1;
    let tagList = -1;
    let host = -1;
    let pointList = -1;
    let resourceList = -1;
    child = g + 1;
    for (let t = firstToken[g]!; t < endToken[g]!; ) {
      if ((flags[t]! & ESCAPED) !== 0) return null; // it may spell a field
      const field = itemField(body, start[t]!, end[t]!);
      t = member(t);
      if (field === METRIC) metric = stringIn(value);
      else if (field === TAG_LIST) tagList = arrayIn(value);
      else if (field === HOST) host = stringIn(value);
      else if (field === POINTS) pointList = arrayIn(value);
      else if (field === RESOURCE_LIST) resourceList = arrayIn(value);
    }
    if (pointList >= 0) points += size[pointList]!;
    if (metric < 0) continue;
    let escaped = flags[metric]!;
    const firstTag = tags.length / 3;
    if (tagList >= 0) {
      tags.reserve((endToken[tagList]! - firstToken[tagList]!) * 3);
      const d = tags.data;
      let at = tags.length;
      for (let t = firstToken[tagList]!; t < endToken[tagList]!; t++) {
        if (frame[t] !== tagList) continue; // inside an element that is not a string
        escaped |= flags[t]!;
        d[at] = start[t]!;
        d[at + 1] = end[t]!;
        d[at + 2] = (flags[t]! & ESCAPED) | nonAscii;
        at += 3;
      }
      tags.length = at;
    }
    const tagCount = tags.length / 3 - firstTag;
    if (host >= 0) escaped |= flags[host]!;
    const r = resourceList;
    if (!readResources(r)) return null;
    if (onlyType >= 0) escaped |= flags[onlyType]!;
    if (onlyName >= 0) escaped |= flags[onlyName]!;
    table.reserve(TABLE);
    const row = table.data;
    const at = table.length;
    row[at] = fslot[g]!;
    row[at + 1] = start[metric]!;
    row[at + 2] = end[metric]!;
    row[at + 3] = (flags[metric]! & ESCAPED) | nonAscii;
    row[at + 4] = firstTag;
    row[at + 5] = tagCount;
    table.length = at + TABLE;
    ids.reserve(2);
    if (nonAscii === 0 && (escaped & ESCAPED) === 0 && tagCount <= MAX_BYTE_SORTED_TAGS && (r < 0 || size[r]! <= 1)) {
      key.metricStart = start[metric]!;
      key.metricEnd = end[metric]!;
      key.tags = tags.data;
      key.firstTag = firstTag;
      key.tagCount = tagCount;
      key.hostStart = host < 0 ? -1 : start[host]!;
      key.hostEnd = host < 0 ? 0 : end[host]!;
      key.resource = r < 0 ? OneResource.NoArray : size[r] === 0 ? OneResource.Empty : containers === 0 ? OneResource.OtherElement : onlyObject ? OneResource.Object : OneResource.ArrayElement;
      key.typeStart = onlyType < 0 ? -1 : start[onlyType]!;
      key.typeEnd = onlyType < 0 ? 0 : end[onlyType]!;
      key.nameStart = onlyName < 0 ? -1 : start[onlyName]!;
      key.nameEnd = onlyName < 0 ? 0 : end[onlyName]!;
      feedByteKey(body, key);
      finishIdInto(ids.data, ids.length);
    } else {
      const tagTexts: string[] = [];
      const d = tags.data;
      for (let i = firstTag; i < firstTag + tagCount; i++) tagTexts.push(decode(body, d[i * 3]!, d[i * 3 + 1]!, d[i * 3 + 2]!));
      const id = seriesIdOf(text(metric), tagTexts, host < 0 ? '' : text(host), r < 0 ? null : resourceKeys(r));
      ids.data[ids.length] = parseInt(id.slice(0, 8), 16);
      ids.data[ids.length + 1] = parseInt(id.slice(8), 16);
    }
    ids.length += 2;
  }
  return { metricPoints: points, count: table.length / TABLE, table: table.done(), tags: tags.done(), ids: ids.done(), text: body };

  /**
   * Reads resources array `r` (-1: none): how many elements are containers, and of the last one
   * whether it is an object and its `type` and `name` string tokens (-1: absent or null). false: a
   * `type` or `name` that is neither a string nor null (String() of it is JSON.parse's reading).
   */
  function readResources(r: number): boolean {
    containers = 0;
    onlyObject = false;
    onlyType = -1;
    onlyName = -1;
    if (r < 0) return true;
    for (let e = r + 1; e < next[r]!; e = next[e]!) {
      containers++;
      onlyObject = kind[e] === OBJECT;
      onlyType = -1;
      onlyName = -1;
      if (!onlyObject) continue;
      child = e + 1;
      for (let t = firstToken[e]!; t < endToken[e]!; ) {
        if ((flags[t]! & ESCAPED) !== 0) return false;
        const which = resourceField(body, start[t]!, end[t]!);
        const nullValue = valueByte(body, end[t]!) === 0x6e;
        t = member(t);
        if (which < 0) continue;
        if (value < 0 && !nullValue) return false;
        if (which === 0) onlyType = value;
        else onlyName = value;
      }
    }
    return true;
  }

  /** `type:name` of each element of resources array `r`, as seriesIdOf takes them (an element that is not a container reads ''). */
  function resourceKeys(r: number): string[] {
    const keys: string[] = [];
    for (let e = r + 1; e < next[r]!; e = next[e]!) {
      if (kind[e] === ARRAY) {
        keys.push(':');
        continue;
      }
      let type = '';
      let name = '';
      child = e + 1;
      for (let t = firstToken[e]!; t < endToken[e]!; ) {
        const which = resourceField(body, start[t]!, end[t]!);
        t = member(t);
        if (which === 0) type = value >= 0 ? text(value) : '';
        else if (which === 1) name = value >= 0 ? text(value) : '';
      }
      keys.push(`${type}:${name}`);
    }
    while (keys.length < size[r]!) keys.push('');
    return keys;
  }
}

/** A reader for Masker.maskBody that keeps seriesFromWalk's answer; undefined until the masker walked the body as one JSON document. */
export function createSeriesReader(): { readonly read: (walk: JsonStrings, body: Uint8Array) => void; result(): WalkedSubmission | null | undefined } {
  let result: WalkedSubmission | null | undefined;
  return {
    read: (walk, body) => {
      result = seriesFromWalk(walk, body);
    },
    result: () => result,
  };
}
