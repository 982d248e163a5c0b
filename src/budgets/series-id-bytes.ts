/**
 * A series id fed from byte ranges of one body (pure), for the readers that find a series' parts in
 * place (series-scan.ts, series-walk.ts): the same code units seriesIdOf feeds, and no string made.
 * Only for parts that are ASCII without escapes, at most MAX_BYTE_SORTED_TAGS tags and at most one
 * resource: the readers check that, and use seriesIdOf on decoded strings otherwise.
 */
import { feedBytes, feedCode, finishId, startId } from './series-id.js';

/** Above this many tags a series is sorted as strings (the byte sort is an insertion sort). */
export const MAX_BYTE_SORTED_TAGS = 32;

/** What a series has for resources: no array, an empty one, or one element of a kind. */
export const enum OneResource {
  NoArray,
  Empty,
  Object,
  ArrayElement,
  OtherElement,
}

/** A series key as byte ranges (start -1: absent), filled by a reader and reused from one series to the next. */
export class ByteKey {
  metricStart = 0;
  metricEnd = 0;
  /** [start, end] of each tag as sent, `stride` numbers apart, from entry `firstTag`. */
  tags: ArrayLike<number> = [];
  firstTag = 0;
  tagCount = 0;
  stride = 2;
  hostStart = -1;
  hostEnd = 0;
  resource: OneResource = OneResource.NoArray;
  typeStart = -1;
  typeEnd = 0;
  nameStart = -1;
  nameEnd = 0;
}

/** Insertion-sort scratch: tag numbers in sorted order. */
const order: number[] = [];

/** a < b as JavaScript compares strings, for ranges of ASCII bytes. */
function lessBytes(b: Uint8Array, as: number, ae: number, bs: number, be: number): boolean {
  const la = ae - as;
  const lb = be - bs;
  const m = la < lb ? la : lb;
  for (let k = 0; k < m; k++) {
    const x = b[as + k]!;
    const y = b[bs + k]!;
    if (x !== y) return x < y;
  }
  return la < lb;
}

const span = (start: number, end: number): number => (start < 0 ? 0 : end - start);

/** hash64(seriesKey(…)) of the key `k` holds in `b`. */
export function idOfByteKey(b: Uint8Array, k: ByteKey): string {
  feedByteKey(b, k);
  return finishId();
}

/** Feeds the key `k` holds in `b` (then finishId or finishIdInto). */
export function feedByteKey(b: Uint8Array, k: ByteKey): void {
  const { tags, tagCount, stride } = k;
  const base = k.firstTag * stride;
  // tag order as Array.prototype.sort gives it
  let tagBytes = tagCount > 0 ? tagCount - 1 : 0;
  for (let t = 0; t < tagCount; t++) {
    const s = tags[base + t * stride]!;
    const e = tags[base + t * stride + 1]!;
    tagBytes += e - s;
    let j = t - 1;
    while (j >= 0 && lessBytes(b, s, e, tags[base + order[j]! * stride]!, tags[base + order[j]! * stride + 1]!)) {
      order[j + 1] = order[j]!;
      j--;
    }
    order[j + 1] = t;
  }
  const r = k.resource;
  const resourceBytes = r === OneResource.Object ? span(k.typeStart, k.typeEnd) + 1 + span(k.nameStart, k.nameEnd) : r === OneResource.ArrayElement ? 1 : 0;
  startId(k.metricEnd - k.metricStart + 1 + tagBytes + 1 + span(k.hostStart, k.hostEnd) + (r === OneResource.NoArray ? 0 : 1 + resourceBytes));
  feedBytes(b, k.metricStart, k.metricEnd);
  feedCode(0);
  for (let t = 0; t < tagCount; t++) {
    if (t > 0) feedCode(1);
    feedBytes(b, tags[base + order[t]! * stride]!, tags[base + order[t]! * stride + 1]!);
  }
  feedCode(0);
  if (k.hostStart >= 0) feedBytes(b, k.hostStart, k.hostEnd);
  if (r !== OneResource.NoArray) {
    feedCode(0);
    if (r === OneResource.Object) {
      if (k.typeStart >= 0) feedBytes(b, k.typeStart, k.typeEnd);
      feedCode(0x3a);
      if (k.nameStart >= 0) feedBytes(b, k.nameStart, k.nameEnd);
    } else if (r === OneResource.ArrayElement) feedCode(0x3a);
  }
}
