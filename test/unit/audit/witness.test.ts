import t from 'tap';
import { createKeyring } from '../../../src/audit/chain-key.js';
import { chainRows, eventFields, GENESIS_HASH } from '../../../src/audit/rows.js';
import { createWitness, type WitnessSink } from '../../../src/audit/witness.js';
import { compareWithWitness, witnessFloor, type WitnessHead } from '../../../src/audit/witness-check.js';
import { findingsSummary, rowLogRecord } from '../../../src/audit/witness-record.js';
import { callEvent, payloadEvent } from '../../integration/audit/fixtures/events.js';

const KEY = { id: 'k1', key: 'unit-witness-key-0123456789abcdef0123' };
const NOW = new Date('2025-03-10T12:00:00.000Z');

function fakeSink() {
  const heads: WitnessHead[] = [];
  let dropped = 0;
  const sink: WitnessSink = { head: (h) => void heads.push(h), dropped: () => dropped, close: async () => undefined };
  return { sink, heads, drop: (n: number) => (dropped += n) };
}

t.test('witness: a head every N rows, signed, carrying the drops since the previous head', async (t) => {
  const f = fakeSink();
  const w = createWitness({ key: KEY, sinks: [f.sink], everyRows: 2, everyMs: 60_000, now: () => NOW });
  let head = { writer: 'w1', seq: 0, hash: GENESIS_HASH, recorded_at: NOW.toISOString() };
  const batch = () => {
    const c = chainRows(head, [{ table: 'calls', fields: eventFields(callEvent()) }], NOW, KEY);
    head = c.head;
    w.committed(c.rows, c.head);
  };
  batch();
  t.equal(f.heads.length, 0, 'not yet: one row');
  f.drop(3);
  batch();
  t.equal(f.heads.length, 1);
  t.match(f.heads[0], { writer: 'w1', seq: 2, dropped: 3, key_id: 'k1' });
  batch();
  await w.close();
  t.match(f.heads[1], { seq: 3, dropped: 0 }, 'close publishes the last head');
  const floor = witnessFloor(f.heads.map((h) => JSON.stringify({ type: 'head', ...h })), createKeyring(KEY));
  t.equal(floor.forged.length, 0);
  t.equal(floor.heads.get('w1')?.seq, 3);
  const tampered = witnessFloor([JSON.stringify({ type: 'head', ...f.heads[1], dropped: 0, seq: 9 }), 'not json', '{"type":"other"}'], createKeyring(KEY));
  t.equal(tampered.forged.length, 1);
  t.equal(tampered.ignoredLines, 2);
});

t.test('witness check: truncation, rollback, rewrite', async (t) => {
  const h = { writer: 'w1', seq: 5, hash: 'a'.repeat(64), recorded_at: NOW.toISOString(), time: NOW.toISOString(), dropped: 0, key_id: 'k1', mac: 'x' };
  const floor = { heads: new Map([['w1', h]]), forged: [], ignoredLines: 0 };
  t.same(compareWithWitness(floor, new Map([['w1', { maxSeq: 7, headSeq: 7, hashAtWitnessed: h.hash }]])), []);
  t.match(compareWithWitness(floor, new Map([['w1', { maxSeq: 3, headSeq: 3, hashAtWitnessed: null }]])), [{ reason: 'witness_truncation', seq: 4 }, { reason: 'witness_rollback', seq: 3 }]);
  t.match(compareWithWitness(floor, new Map([['w1', { maxSeq: 5, headSeq: 5, hashAtWitnessed: 'b'.repeat(64) }]])), [{ reason: 'witness_hash_mismatch', seq: 5 }]);
  t.match(compareWithWitness(floor, new Map()), [{ reason: 'witness_truncation' }, { reason: 'witness_rollback' }], 'a witnessed writer gone entirely');
});

t.test('witness records: identity and decision fields, never a body', async (t) => {
  const c = chainRows({ writer: 'w1', seq: 0, hash: GENESIS_HASH, recorded_at: NOW.toISOString() }, [{ table: 'payloads', fields: eventFields(payloadEvent({ masked_body: '{"k":"[REDACTED:x]"}', findings: [{ type: 'aws_access_key', count: 2, locations: ['$.k'] }] })) }], NOW, KEY);
  const r = rowLogRecord('payloads', c.rows[0]!.row);
  t.equal(r.attributes['keyward.findings'], 'aws_access_key:2');
  t.notOk(JSON.stringify(r).includes('REDACTED'), 'the masked body is not exported');
  t.notOk(JSON.stringify(r).includes(String(c.rows[0]!.row.body_sha256)), 'nor its hash');
  t.equal(findingsSummary(null), '');
});
