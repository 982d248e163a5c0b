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
      if (matched && gated[0]!.precheck!(s).length === 0) throw new Error(`precheck missed ${JSON.stringify(s)}`);
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
