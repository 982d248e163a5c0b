/**
 * The key that authenticates the audit chain (pure). Postgres never sees it: every row stores
 * `key_id` and `mac = HMAC-SHA256(key, "row\n" + key_id + "\n" + hash)`, where `hash` already covers
 * the row's content and, through prev_hash, its whole prefix. Chain heads (in chain_heads and in the
 * witness) are MACed under other labels, so a MAC can never be lifted from one kind of record to another.
 */
import crypto, { createHash, createHmac, timingSafeEqual } from 'node:crypto';
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
 * HMAC-SHA256 as RFC 2104 defines it, H((K ⊕ opad) ‖ H((K ⊕ ipad) ‖ m)), as two one-shot
 * `crypto.hash` calls over per-key scratch buffers that already hold the padded keys: no Hash or
 * Hmac object per row, the hot path (copying pre-keyed Hash states cost more than createHmac). The
 * output is byte-identical to createHmac (a unit test holds it to that). Where `crypto.hash` is
 * missing (Node 20 before 20.12), createHmac.
 */
interface PaddedKey {
  /** K ⊕ ipad, then room for the message. */
  inner: Buffer;
  /** K ⊕ opad, then the inner digest. */
  readonly outer: Buffer;
}

const padded = new WeakMap<ChainKey, PaddedKey>();
const BLOCK = 64; // SHA-256 block size in bytes
const DIGEST = 32;
const oneShot = typeof crypto.hash === 'function' ? crypto.hash : null;

function paddedKey(key: ChainKey): PaddedKey {
  let p = padded.get(key);
  if (p) return p;
  let k = Buffer.from(key.key, 'utf8'); // createHmac takes a string key as its UTF-8 bytes
  if (k.length > BLOCK) k = createHash('sha256').update(k).digest();
  const inner = Buffer.alloc(BLOCK + 256, 0x36);
  const outer = Buffer.alloc(BLOCK + DIGEST, 0x5c);
  for (let i = 0; i < k.length; i++) {
    inner[i]! ^= k[i]!;
    outer[i]! ^= k[i]!;
  }
  p = { inner, outer };
  padded.set(key, p);
  return p;
}

export function rowMac(key: ChainKey, hash: string): string {
  const message = `row\n${key.id}\n${hash}`;
  if (!oneShot) return mac(key.key, 'row', key.id, hash);
  const p = paddedKey(key);
  // Three UTF-8 bytes per UTF-16 unit at most: grow so that write() can never truncate.
  if (BLOCK + message.length * 3 > p.inner.length) {
    const grown = Buffer.alloc(BLOCK + message.length * 3);
    p.inner.copy(grown, 0, 0, BLOCK);
    p.inner = grown;
  }
  const n = p.inner.write(message, BLOCK, 'utf8');
  oneShot('sha256', p.inner.subarray(0, BLOCK + n), 'buffer').copy(p.outer, BLOCK);
  return oneShot('sha256', p.outer, 'hex');
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
