import t from 'tap';
import { createMasker } from '../../../src/mask/index.js';
import { maskerConfig } from './helpers.js';

// One masker reuses the walker's column buffers from call to call (json-walker.ts ColumnArena). A
// call must see nothing of an earlier one, and documents nested in strings (walked while their outer
// document's columns are still read) must keep columns of their own.
const key = 'AKIAIOSFODNN7EXAMPLE';
const inner = JSON.stringify({ deep: JSON.stringify({ k: `\u0041${key.slice(1)}`, card: '4111 1111 1111 1111' }), mail: 'bob@example.com' });
const bodies: string[] = [
  JSON.stringify({ message: `aws ${key}`, tags: ['a', 'b'], n: 4111111111111111 }),
  JSON.stringify({ nested: inner, after: 'call +44 20 7946 0958', password: 'hunter2hunter2' }),
  JSON.stringify(Array.from({ length: 3000 }, (_, i) => ({ i, s: `v${i}`, t: i % 500 === 0 ? `token ghp_0123456789abcdefABCDEF0123456789abcd` : 'x' }))),
  '{"a":"b"}',
  `${JSON.stringify({ line: 1, m: 'alice@example.com' })}\n${JSON.stringify({ line: 2, m: key })}\n`,
  '[]',
];

t.test('arena: a shared masker gives each body what a fresh masker gives it, in any order', async (t) => {
  const fresh = (src: string) => {
    const m = createMasker(maskerConfig());
    return { json: m.maskBody(Buffer.from(src), src.includes('\n') ? 'application/x-ndjson' : 'application/json'), text: m.maskText(src) };
  };
  const want = bodies.map(fresh);
  const shared = createMasker(maskerConfig());
  const order = [0, 1, 2, 3, 4, 5, 2, 1, 0, 5, 3, 2, 4, 1, 1, 2];
  for (const i of order) {
    const src = bodies[i]!;
    const json = shared.maskBody(Buffer.from(src), src.includes('\n') ? 'application/x-ndjson' : 'application/json');
    t.same(json.findings, want[i]!.json.findings, `body ${i}: findings`);
    t.equal(json.body.toString(), want[i]!.json.body.toString(), `body ${i}: masked bytes`);
    t.same(shared.maskText(src), want[i]!.text, `body ${i}: as text`);
  }
  t.notOk(shared.maskBody(Buffer.from(bodies[1]!), 'application/json').body.toString().includes(key.slice(1)), 'the key in the doubly nested document is masked');
  t.throws(() => shared.maskBody(Buffer.from('{"a": [1, 2'), 'application/json'), 'an invalid body still throws');
  t.same(shared.maskBody(Buffer.from(bodies[0]!), 'application/json').findings, want[0]!.json.findings, 'and leaves nothing behind for the next call');
});
