import t from 'tap';
import { bodyJsonBytes, canonicalJson, storableText } from '../../../src/audit/canonical.js';
import { canonicalRowContent, chainRows, eventFields, GENESIS_HASH, rowFromDatabase, rowHash, TABLE_COLUMNS, tableOf, type ChainHead } from '../../../src/audit/rows.js';
import { insertStatements, textArrayLiteral } from '../../../src/audit/insert-sql.js';
import { callEvent, payloadEvent, approvalEvent } from '../../integration/audit/fixtures/events.js';

const head0: ChainHead = { writer: 'w1', seq: 0, hash: GENESIS_HASH, recorded_at: new Date(0).toISOString() };
const NOW = new Date('2025-03-10T12:00:01.000Z');

t.test('audit canonical JSON: sorted keys, no whitespace, order-independent', async (t) => {
  t.equal(canonicalJson({ b: 1, a: [true, null, 'x'], c: { z: 1.5, y: 'é' } }), '{"a":[true,null,"x"],"b":1,"c":{"y":"é","z":1.5}}');
  t.equal(canonicalJson({ a: 1, b: 2 }), canonicalJson({ b: 2, a: 1 }));
  t.equal(canonicalJson('line\n"q"'), '"line\\n\\"q\\""');
  t.throws(() => canonicalJson(Number.NaN), TypeError);
  t.throws(() => canonicalJson({ a: undefined as unknown as null }), TypeError);
});

t.test('audit storable text: NUL and lone surrogates become U+FFFD (what Postgres would store)', async (t) => {
  t.equal(storableText('a\u0000b'), 'a\uFFFDb');
  t.equal(storableText('x\uD800y'), 'x\uFFFDy');
  t.equal(storableText('ok 😀'), 'ok 😀');
});

t.test('audit rows: chain links seq, prev_hash and hash; recorded_at never goes back', async (t) => {
  const fields = [callEvent(), payloadEvent(), approvalEvent()].map((e) => ({ table: e.kind === 'call' ? ('calls' as const) : e.kind === 'payload' ? ('payloads' as const) : ('approval_events' as const), fields: eventFields(e) }));
  const { rows, head } = chainRows(head0, fields, NOW);
  t.same(rows.map((r) => r.row.seq), [1, 2, 3]);
  t.equal(rows[0]!.row.prev_hash, GENESIS_HASH);
  t.equal(rows[1]!.row.prev_hash, rows[0]!.row.hash);
  t.equal(head.seq, 3);
  t.equal(head.hash, rows[2]!.row.hash);
  for (const r of rows) t.equal(rowHash(r.table, r.row), r.row.hash, `${r.table} hash recomputes`);
  const later = chainRows({ ...head, recorded_at: '2030-01-01T00:00:00.000Z' }, fields.slice(0, 1), NOW);
  t.equal(later.rows[0]!.row.recorded_at, '2030-01-01T00:00:00.000Z', 'clock going back does not move recorded_at back');
});

t.test('audit rows: the fast row serialiser is exactly canonicalJson of the content', async (t) => {
  const { rows } = chainRows(head0, [callEvent(), payloadEvent(), approvalEvent()].map((e) => ({ table: tableOf(e), fields: eventFields(e) })), NOW);
  for (const { table, row } of rows) {
    const { hash: _h, prev_hash: _p, key_id: _k, mac: _m, ...content } = row;
    // calls.findings (migration 007) is hashed only when not empty, so rows written before it verify.
    const { findings, ...rest } = content;
    const hashed = table === 'calls' && Array.isArray(findings) && findings.length === 0 ? rest : content;
    t.equal(canonicalRowContent(table, row), canonicalJson({ ...hashed, table }), table);
  }
  const withKey = chainRows(head0, [{ table: 'calls' as const, fields: eventFields(callEvent({ findings: [{ type: 'agent_supplied_key', count: 1, locations: ['header:dd-api-key fp=0123456789abcdef'] }] })) }], NOW).rows[0]!.row;
  const { hash: _h, prev_hash: _p, key_id: _k, mac: _m, ...content } = withKey;
  t.equal(canonicalRowContent('calls', withKey), canonicalJson({ ...content, table: 'calls' }), 'call findings, when present, are hashed');
});

t.test('audit rows: every column is covered by the hash', async (t) => {
  const { rows } = chainRows(head0, [{ table: 'calls', fields: eventFields(callEvent()) }], NOW);
  const row = rows[0]!.row;
  for (const key of Object.keys(row)) {
    if (key === 'hash' || key === 'key_id' || key === 'mac') continue; // the MAC covers the hash
    const tampered = { ...row, [key]: key === 'groups' ? ['root'] : key === 'seq' || key === 'latency_ms' ? 999 : 'tampered' };
    t.not(rowHash('calls', tampered), row.hash, `changing ${key} changes the hash`);
  }
  t.match(canonicalRowContent('calls', row), /"table":"calls"/, 'the table is part of the content');
});

t.test('audit rows: misuse is a TypeError, not a silent row', async (t) => {
  t.throws(() => eventFields(callEvent({ latency_ms: Number.NaN })), TypeError);
  t.throws(() => eventFields(callEvent({ time: new Date('nope') })), TypeError);
  t.throws(() => eventFields(payloadEvent({ upstream_status: 200.5 })), TypeError);
});

t.test('audit rows: a row read back from Postgres (to_jsonb form) hashes the same', async (t) => {
  const { rows } = chainRows(head0, [{ table: 'payloads', fields: eventFields(payloadEvent()) }], NOW);
  const row = rows[0]!.row;
  const fromDb = rowFromDatabase('payloads', { ...row, recorded_at: '2025-03-10T12:00:01+00:00', time: '2025-03-10T12:00:00+00:00', seq: 1 });
  t.equal(rowHash('payloads', fromDb), row.hash);
});

t.test('audit insert SQL: one INSERT per table, one array literal per column', async (t) => {
  const many = Array.from({ length: 5000 }, (_, i) => ({ table: 'calls' as const, fields: eventFields(callEvent({ request_id: `r${i}`, groups: ['a', 'b"c', 'd\\e', ''] })) }));
  const { rows } = chainRows(head0, [...many, { table: 'payloads', fields: eventFields(payloadEvent()) }], NOW, { id: 'k1', key: 'a'.repeat(64) });
  const st = insertStatements('kw', rows);
  t.same(st.map((s) => s.table), ['calls', 'payloads']);
  t.equal(st[0]!.values.length, 25, 'every column of calls: findings (007), key_id and mac (005) included');
  t.match(st[0]!.text, /^INSERT INTO "kw"\."calls" \("recorded_at", .* FROM unnest\(\$1::timestamptz\[\], /);
  const column = (name: string) => st[0]!.values[TABLE_COLUMNS.calls.findIndex(([n]) => n === name)] as string;
  t.equal(column('seq'), `{${rows.slice(0, 5000).map((r) => r.row.seq).join(',')}}`);
  t.equal(column('approval_id'), `{${Array(5000).fill('NULL').join(',')}}`, 'nulls unquoted');
  const cell = String.raw`{"{\"a\",\"b\\\"c\",\"d\\\\e\",\"\"}",`;
  t.equal(column('groups').slice(0, cell.length), cell, 'a text[] cell is a quoted literal inside the column literal');
  t.equal(textArrayLiteral(['a', 'b"c', 'd\\e', '', 'NULL']), '{"a","b\\"c","d\\\\e","","NULL"}');
  const bodyColumn = st[1]!.values[TABLE_COLUMNS.payloads.findIndex(([name]) => name === 'masked_body')];
  t.type(bodyColumn, 'string', 'masked bodies travel as one JSON text, not an escaped array literal');
  t.same(JSON.parse(bodyColumn as string).length, 1);
  t.match(st[1]!.text, /ARRAY\(SELECT e FROM json_array_elements_text\(\$\d+::json\) WITH ORDINALITY/);
});

t.test('audit row hash: a body pre-encoded by a worker hashes exactly as the same body as text', async (t) => {
  for (const body of ['{"a":"q\\"uote"}', 'é ✓ 𝄞 \u2028 \n\t', 'lone \uD800 surrogate and \u0000 NUL', '']) {
    const plain = chainRows(head0, [{ table: 'payloads', fields: eventFields(payloadEvent({ masked_body: body })) }], NOW);
    const encoded = chainRows(head0, [{ table: 'payloads', fields: eventFields(payloadEvent({ masked_body: body, masked_body_json: bodyJsonBytes(body) })) }], NOW);
    t.equal(encoded.rows[0]!.row.hash, plain.rows[0]!.row.hash, `body of ${body.length} characters`);
    const other = chainRows(head0, [{ table: 'payloads', fields: eventFields(payloadEvent({ masked_body: body, masked_body_json: bodyJsonBytes(`${body}x`) })) }], NOW);
    t.not(other.rows[0]!.row.hash, plain.rows[0]!.row.hash, 'the bytes are what is hashed');
  }
});
