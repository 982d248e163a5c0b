import t from 'tap';
import { createMasker } from '../../../src/mask/index.js';
import { maskerConfig } from './helpers.js';

// Inputs built to make backtracking regexes blow up. Each must finish and give the right answer;
// how long they take is measured by bench/mask.ts, never asserted here.
const masker = createMasker(maskerConfig());
const MiB = 1024 * 1024;
const SECRET = 'AKIAIOSFODNN7EXAMPLE';

const runs: [string, string][] = [
  ['a', 'a'],
  ['A', 'A'],
  ['digits', '0'],
  ['digits and spaces', '4 '],
  ['dashes', '-'],
  ['dots and digits', '1.'],
  ['colons and hex', 'a:'],
  ['at signs', 'a@'],
  ['spaces', ' '],
  ['backslashes', '\\'],
  ['eyJ', 'eyJ'],
  ['eyJ with dots', 'eyJa.'],
  ['PEM headers', '-----BEGIN PRIVATE KEY-----\n'],
  ['key names', 'api_key='],
  ['password names', 'password: '],
  ['url prefixes', 'http://a:'],
  ['slack prefixes', 'xoxb-'],
  ['bearer', 'Bearer '],
  ['plus digits', '+1 '],
  ['IBAN-ish', 'DE89 '],
];

const INERT = new Set(['a', 'A', 'digits', 'dashes', 'spaces', 'backslashes', 'eyJ', 'eyJ with dots', 'PEM headers', 'slack prefixes', 'bearer', 'url prefixes']);

for (const [name, unit] of runs) {
  t.test(`pathological: 1 MiB run of ${name} finishes, and a secret after it is still found`, async (t) => {
    const run = unit.repeat(Math.ceil(MiB / unit.length));
    const text = `${run} ${SECRET} ${run}`;
    const r = masker.maskText(text);
    t.ok(r.findings.some((f) => f.type === 'aws_access_key_id'), 'secret found');
    t.notOk(r.text.includes(SECRET), 'secret replaced');
    if (INERT.has(name)) t.equal(r.text, `${run} [REDACTED:aws_access_key_id] ${run}`, 'only the secret changed');
  });
}

t.test('pathological: a 5 MiB single JSON string', async (t) => {
  const big = 'x'.repeat(5 * MiB);
  const body = Buffer.from(`{"message":"${big} ${SECRET}","n":9007199254740993}`);
  const r = masker.maskBody(body, 'application/json');
  t.equal(r.body.toString(), `{"message":"${big} [REDACTED:aws_access_key_id]","n":9007199254740993}`);
});

t.test('pathological: a 2 MiB string of escaped quotes (nested JSON in JSON in JSON)', async (t) => {
  let inner = JSON.stringify({ token: 'ghp_' + 'a1B2'.repeat(9) });
  for (let i = 0; i < 6; i++) inner = JSON.stringify({ message: inner });
  const filler = '\\"'.repeat(MiB);
  const body = `{"a":"${filler}","b":${inner}}`;
  const r = masker.maskJson(body);
  t.notOk(r.text.includes('ghp_'), 'token deep in escaped JSON replaced');
  t.ok(r.text.startsWith(`{"a":"${filler}"`), 'the escaped quotes are untouched');
  t.doesNotThrow(() => JSON.parse(r.text));
});

t.test('pathological: nesting at the limit is fine, one deeper is body_too_deep', async (t) => {
  const depth = maskerConfig().max_depth;
  const ok = '['.repeat(depth) + ']'.repeat(depth);
  t.equal(masker.maskBody(Buffer.from(ok), 'application/json').changed, false);
  const deep = '['.repeat(depth + 1) + ']'.repeat(depth + 1);
  t.throws(() => masker.maskBody(Buffer.from(deep), 'application/json'), { code: 'body_too_deep' });
  const bomb = '['.repeat(1_000_000);
  t.throws(() => masker.maskBody(Buffer.from(bomb), 'application/json'), { code: 'body_too_deep' }, 'a million brackets stop at the limit');
});

t.test('pathological: many short candidates (every token a near-miss) finish', async (t) => {
  const items = Array.from({ length: 50_000 }, (_, i) => `"4111 1111 1111 ${String(i).padStart(4, '0')}"`);
  const r = masker.maskJson(`[${items.join(',')}]`);
  const cards = r.findings.find((f) => f.type === 'credit_card');
  t.ok(cards && cards.count > 0 && cards.count < 50_000, 'only the Luhn-valid ones are cards');
  t.equal(cards?.locations.length, 100, 'locations are capped, the count is not');
});
