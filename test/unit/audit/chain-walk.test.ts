import t from 'tap';
import { createChainWalker } from '../../../src/audit/chain-walk.js';
import { buildCheckpoints, checkCheckpoints } from '../../../src/audit/checkpoint.js';
import { partitionsBefore } from '../../../src/audit/purge.js';
import { chainRows, eventFields, GENESIS_HASH } from '../../../src/audit/rows.js';
import { callEvent } from '../../integration/audit/fixtures/events.js';

const NOW = new Date('2025-03-10T12:00:01.000Z');
const chain = (n: number, writer = 'w1') =>
  chainRows({ writer, seq: 0, hash: GENESIS_HASH, recorded_at: NOW.toISOString() }, Array.from({ length: n }, (_, i) => ({ table: 'calls' as const, fields: eventFields(callEvent({ request_id: `${writer}-r${i + 1}` })) })), NOW).rows;

t.test('audit verify: an intact chain passes', async (t) => {
  const w = createChainWalker(new Map());
  for (const r of chain(5)) w.push(r.table, r.row);
  const report = w.finish(new Map([['w1', 5]]));
  t.ok(report.ok);
  t.same(report.writers, [{ writer: 'w1', rows: 5, skipped: 0, first_seq: 1, last_seq: 5, checkpoint_seq: null, ok: true }]);
});

t.test('audit verify: a changed column names the row (writer, seq, request id)', async (t) => {
  const rows = chain(5);
  const w = createChainWalker(new Map());
  rows.forEach((r, i) => w.push(r.table, i === 2 ? { ...r.row, decision: 'deny' } : r.row));
  const report = w.finish(new Map());
  t.notOk(report.ok);
  t.same(report.breaks, [{ writer: 'w1', seq: 3, request_id: 'w1-r3', table: 'calls', reason: 'hash_mismatch' }]);
});

t.test('audit verify: a deleted row is a seq gap; a deleted tail is caught by the head', async (t) => {
  const rows = chain(5);
  const w = createChainWalker(new Map());
  rows.filter((_, i) => i !== 1).forEach((r) => w.push(r.table, r.row));
  t.match(w.finish(new Map()).breaks, [{ seq: 3, reason: 'seq_gap' }]);
  const w2 = createChainWalker(new Map());
  rows.slice(0, 3).forEach((r) => w2.push(r.table, r.row));
  t.match(w2.finish(new Map([['w1', 5]])).breaks, [{ seq: 4, reason: 'rows_missing_at_end', table: 'chain_heads' }]);
});

t.test('audit verify: the chain resumes after a checkpoint', async (t) => {
  const rows = chain(6);
  const cut = rows[2]!.row;
  const w = createChainWalker(new Map([['w1', { seq: Number(cut.seq), hash: String(cut.hash) }]]));
  rows.slice(3).forEach((r) => w.push(r.table, r.row));
  const report = w.finish(new Map([['w1', 6]]));
  t.ok(report.ok);
  t.equal(report.writers[0]!.checkpoint_seq, 3);
  const bad = createChainWalker(new Map([['w1', { seq: 2, hash: String(rows[1]!.row.hash) }]]));
  rows.slice(3).forEach((r) => bad.push(r.table, r.row));
  t.match(bad.finish(new Map()).breaks, [{ seq: 4, reason: 'seq_gap' }], 'rows purged without a checkpoint are a gap');
});

t.test('audit checkpoints: chained, signed, forgery detected', async (t) => {
  const c = { created_at: NOW.toISOString(), purged_before: '2025-02-01T00:00:00.000Z', seq: 10, hash: 'f'.repeat(64) };
  const cps = buildCheckpoints(GENESIS_HASH, [{ ...c, writer: 'a' }, { ...c, writer: 'b' }], 'k'.repeat(32));
  t.equal(cps[1]!.prev_checkpoint_hash, cps[0]!.checkpoint_hash);
  t.equal(checkCheckpoints(GENESIS_HASH, cps, 'k'.repeat(32)), null);
  t.same(checkCheckpoints(GENESIS_HASH, [{ ...cps[0]!, seq: 20 }, cps[1]!], 'k'.repeat(32)), { index: 0, problem: 'checkpoint_hash_mismatch' });
  const forged = buildCheckpoints(GENESIS_HASH, [{ ...c, writer: 'a', seq: 99 }]);
  t.same(checkCheckpoints(GENESIS_HASH, forged, 'k'.repeat(32)), { index: 0, problem: 'checkpoint_signature_invalid' });
  t.same(checkCheckpoints(GENESIS_HASH, [cps[1]!]), { index: 0, problem: 'checkpoint_chain_broken' });
});

t.test('audit purge: only whole months ending on or before the date', async (t) => {
  const names = ['calls_p2025_01', 'calls_p2025_02', 'payloads_p2025_01', 'approval_events_p2024_12', 'calls_p2025_03', 'other_p2020_01'];
  t.same(partitionsBefore(names, new Date('2025-03-01T00:00:00Z')), ['approval_events_p2024_12', 'calls_p2025_01', 'calls_p2025_02', 'payloads_p2025_01']);
  t.same(partitionsBefore(names, new Date('2025-02-15T00:00:00Z')), ['approval_events_p2024_12', 'calls_p2025_01', 'payloads_p2025_01']);
});
