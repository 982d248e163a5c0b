/**
 * Pure comparison of the database with a witness (signed heads published outside Postgres). The latest
 * authentic witnessed head of each writer is a floor the database must still reach: rows missing after
 * it are a truncation, a chain head behind it is a rollback, another hash at its seq is a rewrite.
 */
import { sameMac, witnessMac, type ChainKeyring, type WitnessHeadContent } from './chain-key.js';
import type { ChainBreak } from './chain-walk.js';

export interface WitnessHead extends WitnessHeadContent {
  readonly key_id: string;
  readonly mac: string;
}

/** One JSON line of a witness file, or null when it is not a head record. */
export function parseWitnessLine(line: string): WitnessHead | null {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null) return null;
  const o = v as Record<string, unknown>;
  if (o.type !== 'head') return null;
  const str = (k: string) => (typeof o[k] === 'string' ? (o[k] as string) : null);
  const num = (k: string) => (typeof o[k] === 'number' && Number.isInteger(o[k]) ? (o[k] as number) : null);
  const writer = str('writer'), hash = str('hash'), recorded_at = str('recorded_at'), time = str('time'), key_id = str('key_id'), mac = str('mac');
  const seq = num('seq'), dropped = num('dropped');
  if (writer === null || hash === null || recorded_at === null || time === null || key_id === null || mac === null || seq === null || dropped === null) return null;
  return { writer, seq, hash, recorded_at, time, dropped, key_id, mac };
}

export interface WitnessFloor {
  /** Latest authentic head per writer. */
  readonly heads: ReadonlyMap<string, WitnessHead>;
  /** Heads whose MAC does not verify (ignored, reported). */
  readonly forged: readonly WitnessHead[];
  /** Lines that are not head records. */
  readonly ignoredLines: number;
}

export function witnessFloor(lines: readonly string[], keyring?: ChainKeyring): WitnessFloor {
  const heads = new Map<string, WitnessHead>();
  const forged: WitnessHead[] = [];
  let ignoredLines = 0;
  for (const line of lines) {
    if (line.trim() === '') continue;
    const h = parseWitnessLine(line);
    if (!h) {
      ignoredLines += 1;
      continue;
    }
    if (keyring) {
      const key = keyring.byId(h.key_id);
      if (!key || !sameMac(h.mac, witnessMac(key, h))) {
        forged.push(h);
        continue;
      }
    }
    const prev = heads.get(h.writer);
    if (!prev || h.seq > prev.seq) heads.set(h.writer, h);
  }
  return { heads, forged, ignoredLines };
}

/** What the database holds for one witnessed writer. */
export interface WriterInDatabase {
  /** Highest seq of any row still present (null: none). */
  readonly maxSeq: number | null;
  /** chain_heads seq (null: no head row). */
  readonly headSeq: number | null;
  /** Hash of the row at the witnessed seq (null: that row is gone). */
  readonly hashAtWitnessed: string | null;
}

export function compareWithWitness(floor: WitnessFloor, db: ReadonlyMap<string, WriterInDatabase>): ChainBreak[] {
  const breaks: ChainBreak[] = [];
  const brk = (writer: string, seq: number, reason: ChainBreak['reason']): ChainBreak => ({ writer, seq, request_id: null, table: 'witness', reason });
  for (const h of floor.forged) breaks.push(brk(h.writer, h.seq, 'witness_head_forged'));
  for (const [writer, h] of floor.heads) {
    const d = db.get(writer) ?? { maxSeq: null, headSeq: null, hashAtWitnessed: null };
    if (d.maxSeq === null || d.maxSeq < h.seq) breaks.push(brk(writer, (d.maxSeq ?? 0) + 1, 'witness_truncation'));
    if (d.headSeq === null || d.headSeq < h.seq) breaks.push(brk(writer, d.headSeq ?? 0, 'witness_rollback'));
    if (d.hashAtWitnessed !== null && d.hashAtWitnessed !== h.hash) breaks.push(brk(writer, h.seq, 'witness_hash_mismatch'));
  }
  return breaks;
}
