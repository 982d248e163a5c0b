/**
 * Pure chain verification: rows arrive ordered by (writer, seq); each writer's chain starts at seq 1
 * from the genesis hash, or right after its latest retention checkpoint. The first broken row of each
 * writer is named; checking of that writer stops there (one tampered row would otherwise cascade).
 */
import { GENESIS_HASH, rowHash, type AuditTable, type Row } from './rows.js';
import type { CheckpointProblem } from './checkpoint.js';

export type BreakReason = 'seq_gap' | 'prev_hash_mismatch' | 'hash_mismatch' | 'rows_missing_at_end' | CheckpointProblem;

export interface ChainBreak {
  readonly writer: string;
  readonly seq: number;
  readonly request_id: string | null;
  readonly table: AuditTable | 'chain_checkpoints' | 'chain_heads';
  readonly reason: BreakReason;
}

export interface WriterReport {
  readonly writer: string;
  readonly rows: number;
  readonly first_seq: number | null;
  readonly last_seq: number | null;
  /** Seq of the retention checkpoint the chain resumes from, if any. */
  readonly checkpoint_seq: number | null;
  readonly ok: boolean;
}

export interface VerifyReport {
  readonly ok: boolean;
  readonly rows: number;
  readonly writers: readonly WriterReport[];
  readonly breaks: readonly ChainBreak[];
}

export interface Anchor {
  readonly seq: number;
  readonly hash: string;
}

interface WriterState {
  writer: string;
  rows: number;
  first: number | null;
  expectSeq: number;
  expectPrev: string;
  checkpointSeq: number | null;
  broken: ChainBreak | null;
}

export interface ChainWalker {
  push(table: AuditTable, row: Row): void;
  /** `heads`: each writer's committed head seq (chain_heads), to detect rows removed from the end. */
  finish(heads: ReadonlyMap<string, number>, extraBreaks?: readonly ChainBreak[]): VerifyReport;
}

export function createChainWalker(anchors: ReadonlyMap<string, Anchor>): ChainWalker {
  const done: WriterState[] = [];
  let current: WriterState | null = null;
  let total = 0;

  const start = (writer: string): WriterState => {
    const a = anchors.get(writer);
    return { writer, rows: 0, first: null, expectSeq: a ? a.seq + 1 : 1, expectPrev: a ? a.hash : GENESIS_HASH, checkpointSeq: a ? a.seq : null, broken: null };
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
      total += 1;
      if (w.broken) return;
      if (w.checkpointSeq !== null && seq <= w.checkpointSeq) return; // before the retention point
      w.rows += 1;
      w.first ??= seq;
      const requestId = typeof row.request_id === 'string' ? row.request_id : null;
      const fail = (reason: BreakReason) => {
        w.broken = { writer, seq, request_id: requestId, table, reason };
      };
      if (seq !== w.expectSeq) return fail('seq_gap');
      if (row.prev_hash !== w.expectPrev) return fail('prev_hash_mismatch');
      if (rowHash(table, row) !== row.hash) return fail('hash_mismatch');
      w.expectSeq = seq + 1;
      w.expectPrev = String(row.hash);
    },
    finish(heads, extraBreaks = []) {
      if (current) done.push(current);
      current = null;
      const seen = new Set(done.map((w) => w.writer));
      for (const writer of heads.keys()) if (!seen.has(writer)) done.push(start(writer));
      const breaks: ChainBreak[] = [...extraBreaks];
      const writers = done.map((w) => {
        const lastSeq = w.expectSeq - 1;
        const head = heads.get(w.writer);
        if (!w.broken && head !== undefined && head > lastSeq) {
          w.broken = { writer: w.writer, seq: lastSeq + 1, request_id: null, table: 'chain_heads', reason: 'rows_missing_at_end' };
        }
        if (w.broken) breaks.push(w.broken);
        return {
          writer: w.writer,
          rows: w.rows,
          first_seq: w.first,
          last_seq: w.rows > 0 ? lastSeq : null,
          checkpoint_seq: w.checkpointSeq,
          ok: w.broken === null,
        };
      });
      return { ok: breaks.length === 0, rows: total, writers, breaks };
    },
  };
}
