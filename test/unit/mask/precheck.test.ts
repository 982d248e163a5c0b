import fc from 'fast-check';
import t from 'tap';
import { builtinDetectors } from '../../../src/mask/detectors/index.js';
import { createMasker } from '../../../src/mask/index.js';
import { maskerConfig } from './helpers.js';

// Gated detectors run only on the segments their precheck points at. The precheck must therefore find
// something in every string where one of their patterns matches (before any validation).
const gated = builtinDetectors.filter((d) => d.precheck !== undefined);

const piece = fc.oneof(
  fc.stringMatching(/^[0-9]{1,19}$/),
  fc.constantFrom(' ', '-', '.', '(', ')', '+', ':', '::', '"', 'x', 'DE', 'GB', 'ab', 'F0', '_', '/', '\n'),
  fc.constantFrom('4111 1111 1111 1111', '078-05-1120', '(212) 555-0147', '+44 20 7946 0958', '10.1.2.3', 'fe80::1ff:fe23:4567:890a', 'DE89370400440532013000', '2001:db8:0:0:1:0:0:1', '+1 2 3 4 5 6 7 8'),
);
const text = fc.array(piece, { maxLength: 12 }).map((ps) => ps.join(''));

t.test('mask: the PII precheck points at every string a gated pattern matches in', async (t) => {
  t.ok(gated.length >= 5, 'the unanchored PII detectors are gated');
  fc.assert(
    fc.property(text, (s) => {
      const matched = gated.some((d) => {
        d.pattern.lastIndex = 0;
        const m = d.pattern.exec(s);
        return m !== null && m[0].length > 0;
      });
      if (matched && gated[0]!.precheck!(s).offsets.length === 0) throw new Error(`precheck missed ${JSON.stringify(s)}`);
    }),
    { numRuns: 3000 },
  );
  t.pass('held for 3000 strings');
});

t.test('mask: gated PII is found in JSON strings among long ids and numbers', async (t) => {
  const masker = createMasker(maskerConfig());
  const src = JSON.stringify({
    trace_id: '4000000000000000000',
    n: 1530000000,
    msg: 'GET /orders/1234 200 in 4ms, version 1.4.0',
    card: '4111111111111111',
    nested: ['call +44 20 7946 0958', 'from 10.1.2.3 or fe80::1ff:fe23:4567:890a', 'iban DE89370400440532013000'],
  });
  const out = JSON.parse(masker.maskJson(src).text) as Record<string, unknown>;
  t.same(out, {
    trace_id: '4000000000000000000',
    n: 1530000000,
    msg: 'GET /orders/1234 200 in 4ms, version 1.4.0',
    card: '[REDACTED:credit_card]',
    nested: ['call [REDACTED:phone_number]', 'from [REDACTED:ipv4] or [REDACTED:ipv6]', 'iban [REDACTED:iban]'],
  });
});

// Each gated detector runs only on the segments holding an offset it needs (precheckNeeds): a match
// must therefore lie in a segment (here: text between quotes or NULs, as in a JSON view) holding a
// find of fact -1 or one the detector accepts.
const runPiece = fc.oneof(
  fc.stringMatching(/^[0-9]{1,19}$/),
  fc.constantFrom(' ', '-', '.', '(', ')', '+', ':', '::', '"', '\u0000', 'x', 'DE', 'GB', 'AB', 'F0', '_', '/', 'ssn ', 'id=', '0'),
  fc.constantFrom(
    '4111 1111 1111 1111', '4111-1111-1111-1111', '4111111111111111', '3782 822463 10005', '078-05-1120', '078051120', '(212) 555-0147', '212.555.0147',
    '+44 20 7946 0958', '020 7946 0958', '(020) 7946 0958', '(11) 91234-5678', '10.1.2.3', '192.168.0.1', 'fe80::1ff:fe23:4567:890a', 'client_ip:2001:db8::1',
    'DE89370400440532013000', 'GB82 WEST 1234 5698 7654 32', 'AB 12 34 56 C', 'GET /api/orders/100001 200 7ms', '12345678901234567',
  ),
);
const segmented = fc.array(runPiece, { maxLength: 14 }).map((ps) => ps.join(''));

function segmentOf(s: string, index: number): [number, number] {
  let from = index;
  while (from > 0 && s[from - 1] !== '"' && s[from - 1] !== '\u0000') from--;
  let to = index;
  while (to < s.length && s[to] !== '"' && s[to] !== '\u0000') to++;
  return [from, to];
}

t.test('mask: every gated match lies in a segment holding a precheck find its detector needs', async (t) => {
  const needy = gated.filter((d) => d.precheckNeeds !== undefined);
  t.ok(needy.length >= 8, `${needy.length} gated detectors narrow the segments they run on`);
  const check = (s: string) => {
    const hits = gated[0]!.precheck!(s);
    for (const d of needy) {
      const re = new RegExp(d.pattern.source, d.pattern.flags);
      let m: RegExpExecArray | null;
      while ((m = re.exec(s)) !== null) {
        if (m[0].length === 0) {
          re.lastIndex++;
          continue;
        }
        const [from, to] = segmentOf(s, m.index);
        const found = hits.offsets.some((o, i) => o >= from && o < to && (hits.facts[i] === -1 || d.precheckNeeds!(hits.facts[i]!)));
        if (!found) throw new Error(`${d.type}: ${JSON.stringify(m[0])} in ${JSON.stringify(s)} lies in no segment the detector runs on`);
      }
    }
  };
  for (const s of ['GET /api/orders/100001 200 7ms card 4111 1111 1111 1111', '"x":"call (212) 555-0147","y":"10.1.2.3"', '12345678901234567-4111-1111-1111-1111', ':12:34:5678 7890 1234 5678', 'tel 01 234 5678', 'tel (01) 234 5678', 'n 078 05 1120']) check(s);
  fc.assert(fc.property(segmented, (s) => check(s)), { numRuns: 20000 });
  t.pass('held for 20,000 generated texts');
});

t.test('mask: a numeric run too short for a card or without dots runs only the detectors it can hold', async (t) => {
  const hits = gated[0]!.precheck!('GET /api/orders/100001 200 7ms');
  t.equal(hits.offsets.length, 1, 'one run: 100001 200 7 (10 digits)');
  const runs = gated.filter((d) => d.precheckNeeds?.(hits.facts[0]!) ?? true).map((d) => d.type);
  t.same([...new Set(runs)].sort(), ['phone_number', 'us_ssn'], 'cards need 13 digits, IPv4 three dots; IBAN, NI numbers and IPv6 never lie in a bare run');
  t.same(gated[0]!.precheck!('iban DE89370400440532013000').facts, [-1], 'capitals and digits: every detector');
});
