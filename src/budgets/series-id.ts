/**
 * The series identity Datadog bills (metric name + sorted tags + host or v2 resources) and its
 * 64-bit id, the value counted in Redis and in memory (pure). An id must never change for the same
 * series, whichever way it was computed: from decoded strings here, or from a body's bytes in
 * series-scan.ts.
 */

/** `type:name` of each v2 resource as the series key reads them (an element that is not an object reads ''), or null when there is no resources array. */
export function resourceKeys(resources: unknown): string[] | null {
  if (!Array.isArray(resources)) return null;
  return resources.map((x: unknown) => (typeof x === 'object' && x !== null ? `${fieldText((x as { type?: unknown }).type)}:${fieldText((x as { name?: unknown }).name)}` : ''));
}

/**
 * A resource field as the key reads it. A container is written as JSON, never through String(): a
 * body's own `toString` member would make that throw (and a budget check fail) for any agent.
 */
function fieldText(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'object' && v !== null) return JSON.stringify(v);
  return String(v ?? '');
}

/** The key itself; the id is hash64 of it. */
export function seriesKey(metric: string, tags: readonly string[], host: unknown, resources: unknown): string {
  const res = resourceKeys(resources);
  const parts = [metric, [...tags].sort().join('\u0001'), typeof host === 'string' ? host : ''];
  if (res !== null) parts.push([...res].sort().join('\u0001'));
  return parts.join('\u0000');
}

export function seriesId(metric: string, tags: readonly string[], host: unknown, resources: unknown): string {
  return seriesIdOf(metric, tags, typeof host === 'string' ? host : '', resourceKeys(resources));
}

/** hash64's two lanes while an id is fed (fields: V8 reads them faster than module-level lets). */
let laneA = 0;
let laneB = 0;

/** Starts an id whose key is `length` UTF-16 code units long (hash64 seeds lane B with it). */
export function startId(length: number): void {
  laneA = 0x811c9dc5;
  laneB = 0x01000193 ^ length;
}

export function feedCode(c: number): void {
  laneA = Math.imul(laneA ^ c, 0x01000193);
  const b = Math.imul(laneB ^ c, 0x5bd1e995);
  laneB = b ^ (b >>> 13);
}

function feed(s: string): void {
  let a = laneA;
  let b = laneB;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 13;
  }
  laneA = a;
  laneB = b;
}

/** Feeds bytes [start, end) as code units: exact for text that is ASCII, which is what callers pass. */
export function feedBytes(bytes: Uint8Array, start: number, end: number): void {
  let a = laneA;
  let b = laneB;
  for (let i = start; i < end; i++) {
    const c = bytes[i]!;
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 13;
  }
  laneA = a;
  laneB = b;
}

export function finishId(): string {
  return hexId(laneA, laneB);
}

/** Writes the id just fed as its two lanes to `out[at]`, `out[at + 1]`, instead of finishId (hexId makes the id of them). */
export function finishIdInto(out: Int32Array, at: number): void {
  out[at] = laneA;
  out[at + 1] = laneB;
}

/** The 16 hex chars of an id's two lanes. */
export function hexId(a: number, b: number): string {
  return hex8(a) + hex8(b);
}

function feedJoined(parts: readonly string[], separator: string): void {
  for (let i = 0; i < parts.length; i++) {
    if (i > 0) feed(separator);
    feed(parts[i]!);
  }
}

function joinedLength(parts: readonly string[]): number {
  let n = parts.length > 0 ? parts.length - 1 : 0;
  for (let i = 0; i < parts.length; i++) n += parts[i]!.length;
  return n;
}

/** The parts in Array.prototype.sort's order (UTF-16 code units, which `<` compares too); insertion sort for the few tags a series has. */
function sortedCopy(parts: readonly string[]): readonly string[] {
  if (parts.length < 2) return parts;
  if (parts.length > 16) return [...parts].sort();
  const out = parts.slice();
  for (let i = 1; i < out.length; i++) {
    const x = out[i]!;
    let j = i - 1;
    while (j >= 0 && out[j]! > x) {
      out[j + 1] = out[j]!;
      j--;
    }
    out[j + 1] = x;
  }
  return out;
}

/**
 * hash64(seriesKey(…)) without building the key: the same characters fed in the same order (the
 * length it seeds with is summed first). `host` is '' when absent, `resources` as resourceKeys gives them.
 */
export function seriesIdOf(metric: string, tags: readonly string[], host: string, resources: readonly string[] | null): string {
  const sorted = sortedCopy(tags);
  const res = resources === null ? null : sortedCopy(resources);
  startId(metric.length + 1 + joinedLength(sorted) + 1 + host.length + (res === null ? 0 : 1 + joinedLength(res)));
  feed(metric);
  feed('\u0000');
  feedJoined(sorted, '\u0001');
  feed('\u0000');
  feed(host);
  if (res !== null) {
    feed('\u0000');
    feedJoined(res, '\u0001');
  }
  return finishId();
}

/** Two hex digits per byte value: Number#toString(16) was an eighth of the time of an id. */
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const hex8 = (x: number): string => HEX[(x >>> 24) & 0xff]! + HEX[(x >>> 16) & 0xff]! + HEX[(x >>> 8) & 0xff]! + HEX[x & 0xff]!;

/** Two independent 32-bit FNV-1a style lanes → 16 hex chars: cheap, and collisions are negligible at ≤ 100k series a scope. */
export function hash64(s: string): string {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 13;
  }
  return (a >>> 0).toString(16).padStart(8, '0') + (b >>> 0).toString(16).padStart(8, '0');
}
