/**
 * Retention checkpoints (pure). When old partitions are dropped, each writer's last purged row (seq +
 * hash) is kept as a checkpoint so its chain still verifies from there. Checkpoints are chained among
 * themselves and, with `audit.checkpoint_key`, HMAC-signed: a forged checkpoint hiding a deleted range
 * fails verification.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { canonicalJson } from './canonical.js';

export interface CheckpointContent {
  readonly created_at: string;
  readonly purged_before: string;
  readonly writer: string;
  readonly seq: number;
  readonly hash: string;
}

export interface Checkpoint extends CheckpointContent {
  readonly prev_checkpoint_hash: string;
  readonly checkpoint_hash: string;
  readonly signature: string | null;
}

export function checkpointHash(prev: string, c: CheckpointContent): string {
  const content = { created_at: c.created_at, purged_before: c.purged_before, writer: c.writer, seq: c.seq, hash: c.hash };
  return createHash('sha256').update(prev).update(canonicalJson(content)).digest('hex');
}

export function signCheckpoint(key: string, checkpointHashHex: string): string {
  return createHmac('sha256', key).update(checkpointHashHex).digest('hex');
}

/** Builds the next checkpoints after `prev` (the last stored checkpoint hash, or the genesis hash). */
export function buildCheckpoints(prev: string, contents: readonly CheckpointContent[], key?: string): Checkpoint[] {
  return contents.map((c) => {
    const prev_checkpoint_hash = prev;
    const checkpoint_hash = checkpointHash(prev_checkpoint_hash, c);
    prev = checkpoint_hash;
    return { ...c, prev_checkpoint_hash, checkpoint_hash, signature: key ? signCheckpoint(key, checkpoint_hash) : null };
  });
}

export type CheckpointProblem = 'checkpoint_chain_broken' | 'checkpoint_hash_mismatch' | 'checkpoint_signature_invalid';

/** Checks stored checkpoints in id order; returns the first problem, or null. */
export function checkCheckpoints(genesis: string, stored: readonly Checkpoint[], key?: string): { index: number; problem: CheckpointProblem } | null {
  let prev = genesis;
  for (const [index, c] of stored.entries()) {
    if (c.prev_checkpoint_hash !== prev) return { index, problem: 'checkpoint_chain_broken' };
    if (checkpointHash(prev, c) !== c.checkpoint_hash) return { index, problem: 'checkpoint_hash_mismatch' };
    if (key !== undefined && !sameHex(c.signature ?? '', signCheckpoint(key, c.checkpoint_hash))) return { index, problem: 'checkpoint_signature_invalid' };
    prev = c.checkpoint_hash;
  }
  return null;
}

function sameHex(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}
