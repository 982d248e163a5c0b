/**
 * Pure chain verification: rows arrive ordered by (writer, seq); each writer's chain starts at seq 1
 * from the genesis hash, or right after its latest retention checkpoint. The first broken row of each
 * writer is named; checking of that writer stops there (one tampered row would otherwise cascade).
 * With a keyring every row's MAC and every head's MAC is checked too: without the key, a consistent
 * chain proves only that whoever wrote it knew the (public) hash function.
 * Only rows actually checked are counted as verified; rows skipped (before a checkpoint, after a break)
 * are counted apart.
 */
import { headMac, rowMac, sameMac, type ChainKeyring } from './chain-key.js';
import { GENESIS_HASH, rowHash, type AuditTable, type Row } from './rows.js';
import type { CheckpointProblem } from './checkpoint.js';

export type BreakReason =
  | 'seq_gap'
  | 'prev_hash_mismatch'
  | 'hash_mismatch'
  | 'rows_missing_at_end'
  | 'row_unauthenticated'
  | 'unknown_key_id'
  | 'mac_invalid'
  | 'rows_before_checkpoint'
  | 'head_missing'
  | 'head_hash_mismatch'
  | 'head_mac_invalid'
  | 'witness_truncation'
  | 'witness_rollback'
  | 'witness_hash_mismatch'
  | 'witness_head_forged'
  | 'checkpoint_unsigned'
  | CheckpointProblem;

export interface ChainBreak {
  readonly writer: string;
  readonly seq: number;
  readonly request_id: string | null;
  readonly table: AuditTable | 'chain_checkpoints' | 'chain_heads' | 'witness';
  readonly reason: BreakReason;
}

export interface WriterReport {
  readonly writer: string;
  /** Rows checked and found intact. */
  readonly rows: number;
  /** Rows present but not checked (before a checkpoint, or after this writer's first break). */
  readonly skipped: number;
  readonly first_seq: number | null;
  readonly last_seq: number | null;
  /** Seq of the retention checkpoint the chain resumes from, if any. */
  readonly checkpoint_seq: number | null;
  readonly ok: boolean;
}

export interface VerifyReport {
  readonly ok: boolean;
  /** Rows verified (never a row that was skipped or broken). */
  readonly rows: number;
  readonly skipped: number;
  readonly writers: readonly WriterReport[];
  readonly breaks: readonly ChainBreak[];
  /** Writers with rows but no chain head: keyward has no record of starting them. */
  readonly unknown_writers: readonly string[];
  /** True only when every row and head was checked against a chain key (see `unvouched`). */
  readonly vouched: boolean;
  /** Why the report cannot vouch for the trail, when it cannot. */
  readonly unvouched: readonly string[];
}

export interface Anchor {
  readonly seq: number;
  readonly hash: string;
}

/** A chain_heads row as verify reads it (a bare number: seq only, as older callers pass). */
export interface HeadRecord {
  readonly seq: number;
  readonly hash?: string;
  readonly recorded_at?: string;
  readonly key_id?: string | null;
  readonly mac?: string | null;
}

interface WriterState {
  writer: string;
  rows: number;
  skipped: number;
  first: number | null;
  expectSeq: number;
  expectPrev: string;
  checkpointSeq: number | null;
  broken: ChainBreak | null;
}

export interface ChainWalker {
  push(table: AuditTable, row: Row): void;
  /** `heads`: each writer's committed head (chain_heads), to detect rows removed from the end. */
  finish(heads: ReadonlyMap<string, number | HeadRecord>, extraBreaks?: readonly ChainBreak[]): VerifyReport;
}

export interface WalkOptions {
  /** Check MACs with these keys; absent → the report says it cannot vouch. */
  readonly keyring?: ChainKeyring;
}

export function createChainWalker(anchors: ReadonlyMap<string, Anchor>, options: WalkOptions = {}): ChainWalker {
  const { keyring } = options;
  const done: WriterState[] = [];
  let current: WriterState | null = null;

  const start = (writer: string): WriterState => {
    const a = anchors.get(writer);
    return { writer, rows: 0, skipped: 0, first: null, expectSeq: a ? a.seq + 1 : 1, expectPrev: a ? a.hash : GENESIS_HASH, checkpointSeq: a ? a.seq : null, broken: null };
  };

  const macProblem = (row: Row): BreakReason | null => {
    if (!keyring) return null;
    if (typeof row.key_id !== 'string' || typeof row.mac !== 'string') return 'row_unauthenticated';
    const key = keyring.byId(row.key_id);
    if (!key) return 'unknown_key_id';
    return sameMac(row.mac, rowMac(key, String(row.hash))) ? null : 'mac_invalid';
  };

  return {
    push(table, row) {
      const writer = String(row.writer);
      const seq = Number(row.seq);
      if (!current || current.writer !== writer) {
        if (current) done.push(current);
        current = start(writer);
      }
      const w = current;
      const requestId = typeof row.request_id === 'string' ? row.request_id : null;
      const fail = (reason: BreakReason) => {
        w.broken = { writer, seq, request_id: requestId, table, reason };
        w.skipped += 1;
      };
      if (w.broken) {
        w.skipped += 1;
        return;
      }
      // Purge drops every row up to a checkpoint: one still there means the checkpoint hides something.
      if (w.checkpointSeq !== null && seq <= w.checkpointSeq) return fail('rows_before_checkpoint');
      if (seq !== w.expectSeq) return fail('seq_gap');
      if (row.prev_hash !== w.expectPrev) return fail('prev_hash_mismatch');
      if (rowHash(table, row) !== row.hash) return fail('hash_mismatch');
      const bad = macProblem(row);
      if (bad) return fail(bad);
      w.rows += 1;
      w.first ??= seq;
      w.expectSeq = seq + 1;
      w.expectPrev = String(row.hash);
    },
    finish(headsIn, extraBreaks = []) {
      if (current) done.push(current);
      current = null;
      const heads = new Map([...headsIn].map(([k, v]) => [k, typeof v === 'number' ? { seq: v } : v]));
      const seen = new Set(done.map((w) => w.writer));
      for (const writer of heads.keys()) if (!seen.has(writer)) done.push(start(writer));
      const breaks: ChainBreak[] = [...extraBreaks];
      const unknownWriters: string[] = [];
      const headBreak = (w: WriterState, reason: BreakReason, seq: number) => {
        w.broken ??= { writer: w.writer, seq, request_id: null, table: 'chain_heads', reason };
      };
      const writers = done.map((w) => {
        const lastSeq = w.expectSeq - 1;
        const head = heads.get(w.writer);
        if (head === undefined) {
          if (w.rows + w.skipped > 0) {
            unknownWriters.push(w.writer);
            headBreak(w, 'head_missing', w.first ?? 0);
          }
        } else if (!w.broken) {
          if (head.seq > lastSeq) headBreak(w, 'rows_missing_at_end', lastSeq + 1);
          // A head behind the rows is a head read before a batch committed: not a break.
          else if (head.seq === lastSeq && head.hash !== undefined && head.hash !== w.expectPrev && head.seq > 0) headBreak(w, 'head_hash_mismatch', head.seq);
          if (!w.broken && keyring && head.seq > 0 && head.hash !== undefined) {
            const key = typeof head.key_id === 'string' ? keyring.byId(head.key_id) : undefined;
            const expected = key && head.recorded_at !== undefined ? headMac(key, { writer: w.writer, seq: head.seq, hash: head.hash, recorded_at: head.recorded_at }) : null;
            if (expected === null || !sameMac(head.mac, expected)) headBreak(w, 'head_mac_invalid', head.seq);
          }
        }
        if (w.broken) breaks.push(w.broken);
        return {
          writer: w.writer,
          rows: w.rows,
          skipped: w.skipped,
          first_seq: w.first,
          last_seq: w.rows > 0 ? lastSeq : null,
          checkpoint_seq: w.checkpointSeq,
          ok: w.broken === null,
        };
      });
      const rows = writers.reduce((n, w) => n + w.rows, 0);
      const skipped = writers.reduce((n, w) => n + w.skipped, 0);
      const unvouched = keyring ? [] : ['no chain key (audit.chain_key): the chain is consistent, but anyone with write access to the database could have rebuilt it'];
      return { ok: breaks.length === 0, rows, skipped, writers, breaks, unknown_writers: unknownWriters, vouched: unvouched.length === 0 && breaks.length === 0, unvouched };
    },
  };
}
