/**
 * The key that authenticates the audit chain (pure). Postgres never sees it: every row stores
 * `key_id` and `mac = HMAC-SHA256(key, "row\n" + key_id + "\n" + hash)`, where `hash` already covers
 * the row's content and, through prev_hash, its whole prefix. Chain heads (in chain_heads and in the
 * witness) are MACed under other labels, so a MAC can never be lifted from one kind of record to another.
 */
import { createHash, createHmac, timingSafeEqual, type Hash } from 'node:crypto';
import { canonicalJson } from './canonical.js';

export interface ChainKey {
  readonly id: string;
  readonly key: string;
}

/** The current key (signs new rows) and every key verify accepts, by id. */
export interface ChainKeyring {
  readonly current: ChainKey;
  byId(id: string): ChainKey | undefined;
  readonly ids: readonly string[];
}

export function createKeyring(current: ChainKey, retired: readonly ChainKey[] = []): ChainKeyring {
  const map = new Map<string, ChainKey>();
  for (const k of [current, ...retired]) if (!map.has(k.id)) map.set(k.id, k);
  return { current, byId: (id) => map.get(id), ids: [...map.keys()] };
}

const mac = (key: string, label: string, keyId: string, body: string): string => createHmac('sha256', key).update(`${label}\n${keyId}\n${body}`).digest('hex');

/**
 * HMAC-SHA256 as RFC 2104 defines it, H((K ⊕ opad) ‖ H((K ⊕ ipad) ‖ m)), with both padded-key
 * states hashed once per key and copied per message. The output is byte-identical to createHmac
 * (a unit test holds it to that); it only skips re-deriving the pads for every row, the hot path.
 */
interface PaddedKey {
  readonly inner: Hash;
  readonly outer: Hash;
}

const padded = new WeakMap<ChainKey, PaddedKey>();
const BLOCK = 64; // SHA-256 block size in bytes

function paddedKey(key: ChainKey): PaddedKey {
  let p = padded.get(key);
  if (p) return p;
  let k = Buffer.from(key.key, 'utf8'); // createHmac takes a string key as its UTF-8 bytes
  if (k.length > BLOCK) k = createHash('sha256').update(k).digest();
  const ipad = Buffer.alloc(BLOCK, 0x36);
  const opad = Buffer.alloc(BLOCK, 0x5c);
  for (let i = 0; i < k.length; i++) {
    ipad[i]! ^= k[i]!;
    opad[i]! ^= k[i]!;
  }
  p = { inner: createHash('sha256').update(ipad), outer: createHash('sha256').update(opad) };
  padded.set(key, p);
  return p;
}

export function rowMac(key: ChainKey, hash: string): string {
  const p = paddedKey(key);
  const inner = p.inner.copy().update(`row\n${key.id}\n${hash}`).digest();
  return p.outer.copy().update(inner).digest('hex');
}

export interface HeadContent {
  readonly writer: string;
  readonly seq: number;
  readonly hash: string;
  readonly recorded_at: string;
}

/** MAC of a chain_heads row: a head moved back cannot reuse a row's MAC. */
export function headMac(key: ChainKey, h: HeadContent): string {
  return mac(key.key, 'head', key.id, canonicalJson({ writer: h.writer, seq: h.seq, hash: h.hash, recorded_at: h.recorded_at }));
}

/** A head as published to a witness: the head plus when it was published and what export dropped. */
export interface WitnessHeadContent extends HeadContent {
  readonly time: string;
  /** Audit records the exporter dropped (queue full, receiver down) since the previous published head. */
  readonly dropped: number;
}

export function witnessMac(key: ChainKey, h: WitnessHeadContent): string {
  return mac(key.key, 'witness', key.id, canonicalJson({ writer: h.writer, seq: h.seq, hash: h.hash, recorded_at: h.recorded_at, time: h.time, dropped: h.dropped }));
}

export function sameMac(a: string | null | undefined, b: string): boolean {
  if (typeof a !== 'string') return false;
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}
