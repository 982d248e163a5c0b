import fc from 'fast-check';
import t from 'tap';
import { createMasker } from '../../../src/mask/index.js';
import { maskerConfig } from './helpers.js';
import { fakeSecret, SECRET_KINDS } from './fakes.js';

/** A JSON tree whose strings mix filler text and planted secrets, rendered to raw text by hand. */
type Part = { filler: string } | { secret: string };
type Node =
  | { k: 'str'; parts: Part[] }
  | { k: 'raw'; text: string }
  | { k: 'arr'; items: Node[] }
  | { k: 'obj'; members: [string, Node][] };

// No hex digits: with ':' they can spell a real IPv6 address ("a::a"), which must be masked.
const FILLER_CHARS = ['q', 'x', 'z', ' ', ' ', '"', '\\', '\n', '\t', '/', 'é', '—', '😀', '{', '}', ':', ','];
const filler = fc.array(fc.constantFrom(...FILLER_CHARS), { maxLength: 12 }).map((cs) => cs.join(''));
/** Self-identifying secrets go anywhere in a string; a bearer token only after its scheme. */
const secretParts: fc.Arbitrary<Part[]> = fc.constantFrom(...SECRET_KINDS.filter((k) => k !== 'datadog_api_key_hex')).chain((kind) =>
  fakeSecret(kind).map((s): Part[] => (kind === 'bearer' ? [{ filler: 'Authorization: Bearer' }, { secret: s }] : [{ secret: s }])),
);
const parts: fc.Arbitrary<Part[]> = fc
  .array(fc.oneof({ weight: 3, arbitrary: filler.map((f): Part[] => [{ filler: f }]) }, { weight: 1, arbitrary: secretParts }), { maxLength: 4 })
  .map((groups) => groups.flat());
/** Luhn-valid digits of a card's length: the walker masks those as card numbers (issue 13), on purpose. */
function cardShaped(digits: string): boolean {
  if (digits.length < 12 || digits.length > 19) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return sum % 10 === 0;
}
const int64 = fc
  .bigInt({ min: -(2n ** 63n), max: 2n ** 64n - 1n })
  .map((v) => v.toString())
  .filter((text) => !cardShaped(text.replace('-', '')));
const scalar: fc.Arbitrary<Node> = fc.oneof(
  parts.map((ps) => ({ k: 'str' as const, parts: ps })),
  int64.map((text) => ({ k: 'raw' as const, text })),
  fc.constantFrom('true', 'false', 'null', '12.5', '-0.25e-3', '1714566896123').map((text) => ({ k: 'raw' as const, text })),
);
const KEYS = ['a', 'msg', 'tags', 'value', 'host name', 'x"y', 'é'];

const { tree } = fc.letrec<{ tree: Node }>((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    fc.array(tie('tree'), { maxLength: 5 }).map((items) => ({ k: 'arr' as const, items })),
    fc
      .array(fc.tuple(fc.constantFrom(...KEYS), tie('tree')), { maxLength: 5 })
      .chain((members) =>
        // Datadog keys are secrets only by their member name: plant some that way.
        fc.option(fakeSecret('datadog_api_key_hex'), { nil: undefined }).map((key) => ({
          k: 'obj' as const,
          members: key === undefined ? members : [...members, ['api_key', { k: 'str', parts: [{ secret: key }] }] as [string, Node]],
        })),
      ),
  ),
}));

const PLACEHOLDER = '\u0000S';
const esc = (s: string): string => JSON.stringify(s).slice(1, -1);

/** Renders raw JSON, the text expected after masking (secrets → placeholder), and the secrets. */
function render(n: Node, secrets: string[]): { raw: string; expected: string } {
  switch (n.k) {
    case 'raw':
      return { raw: n.text, expected: n.text };
    case 'str': {
      const raw = n.parts.map((p) => ('filler' in p ? esc(p.filler) : esc(p.secret))).join(' ');
      const expected = n.parts.map((p) => ('filler' in p ? esc(p.filler) : PLACEHOLDER)).join(' ');
      for (const p of n.parts) if ('secret' in p) secrets.push(p.secret);
      return { raw: `"${raw}"`, expected: `"${expected}"` };
    }
    case 'arr': {
      const items = n.items.map((i) => render(i, secrets));
      return { raw: `[${items.map((i) => i.raw).join(',')}]`, expected: `[${items.map((i) => i.expected).join(',')}]` };
    }
    case 'obj': {
      const ms = n.members.map(([k, v]) => [JSON.stringify(k), render(v, secrets)] as const);
      return { raw: `{${ms.map(([k, v]) => `${k}: ${v.raw}`).join(', ')}}`, expected: `{${ms.map(([k, v]) => `${k}: ${v.expected}`).join(', ')}}` };
    }
  }
}

const masker = createMasker(maskerConfig());

t.test('property: planted secrets are gone, JSON parses, everything else is byte-identical', async (t) => {
  fc.assert(
    fc.property(tree, (node) => {
      const secrets: string[] = [];
      const { raw, expected } = render(node, secrets);
      const out = masker.maskBody(Buffer.from(raw, 'utf8'), 'application/json').body.toString('utf8');
      JSON.parse(out);
      for (const s of secrets) if (out.includes(esc(s))) throw new Error(`secret survived: ${s.slice(0, 12)}…`);
      const normalized = out.replace(/\[REDACTED:[a-z0-9_]+\]/g, PLACEHOLDER);
      if (normalized !== expected) throw new Error(`unexpected change:\n${expected}\n${normalized}`);
    }),
    { numRuns: 300 },
  );
  t.pass('held for 300 random documents');
});

t.test('property: 64-bit integers come out exactly as written', async (t) => {
  fc.assert(
    fc.property(fc.array(int64, { minLength: 1, maxLength: 20 }), fakeSecret('email'), (ints, email) => {
      const raw = `{"points":[${ints.join(',')}],"user":"${email}"}`;
      const out = masker.maskJson(raw).text;
      if (out !== `{"points":[${ints.join(',')}],"user":"[REDACTED:email]"}`) throw new Error(out);
    }),
    { numRuns: 200 },
  );
  t.pass('held for 200 random arrays');
});

t.test('property counterexample, kept: a Luhn-valid 16-digit integer is masked as a card, so the generator leaves it out', async (t) => {
  t.ok(cardShaped('3926332197783774'), 'the counterexample CI drew is card-shaped');
  t.notOk(cardShaped('3926332197783775'), 'one digit off is not');
  t.not(masker.maskJson('{"points":[3926332197783774]}').text, '{"points":[3926332197783774]}', 'and the walker masks it');
});

t.test('property: masking is idempotent', async (t) => {
  fc.assert(
    fc.property(tree, (node) => {
      const once = masker.maskJson(render(node, []).raw).text;
      if (masker.maskJson(once).text !== once) throw new Error('second pass changed the text');
    }),
    { numRuns: 100 },
  );
  t.pass('mask(mask(x)) = mask(x)');
});

t.test('property counterexample, kept: a secret ending in "id" does not make the next card an id', async (t) => {
  const out = masker.maskText(`ghp_${'A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6'}Qrid : 4111111111111111`).text;
  t.equal(out, '[REDACTED:github_token] : [REDACTED:credit_card]');
  t.equal(masker.maskText(out).text, out, 'and a second pass changes nothing');
});
