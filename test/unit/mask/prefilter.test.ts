import fc from 'fast-check';
import t from 'tap';
import { builtinDetectors } from '../../../src/mask/detectors/index.js';
import { createPrefilter, type KeywordSpec } from '../../../src/mask/prefilter.js';
import { lazyLower } from '../../../src/mask/scan.js';

// The one-pass keyword search gates every detector: it must find a keyword wherever the plain
// definition (`toLowerCase().includes` for case-insensitive keywords, `includes` otherwise) does,
// or a detector is skipped and its secret leaks.
const specs: KeywordSpec[] = [
  ...builtinDetectors.flatMap((d) => d.keywords.map((keyword) => ({ keyword, ignoreCase: d.keywordsIgnoreCase === true }))),
  { keyword: 'kümmel', ignoreCase: true },
  { keyword: 'Straße', ignoreCase: false },
  { keyword: 'x', ignoreCase: true },
];
const search = createPrefilter(specs);

function reference(text: string): Set<string> {
  const lower = text.toLowerCase();
  const seen = new Set<string>();
  for (const s of specs) if (s.keyword !== '' && (s.ignoreCase ? lower.includes(s.keyword.toLowerCase()) : text.includes(s.keyword))) seen.add(s.keyword.toLowerCase());
  return seen;
}

const found = (text: string): string[] => [...search(text, lazyLower(text))].sort();

// İ lower-cases to `i` + a combining dot: the search reads it as `i`, so it may report a keyword the
// plain definition does not (a detector runs for nothing), never the other way round.
t.test('prefilter: finds every keyword the plain definition finds, and only those unless İ is in the text', async (t) => {
  const keywords = [...new Set(specs.map((s) => s.keyword))];
  const spelled = fc.tuple(fc.constantFrom(...keywords), fc.integer({ min: 0, max: 3 })).map(([k, how]) => (how === 1 ? k.toUpperCase() : how === 2 ? k.replace(/k/g, '\u212a').replace(/i/g, '\u0130') : k));
  const piece = fc.oneof(spelled, fc.constantFrom(' ', '"', ':', ',', '_', '-', 'a', 'K', '\u212a', '\u0130', 'é', '\0'), fc.string({ maxLength: 4 }));
  fc.assert(
    fc.property(fc.array(piece, { maxLength: 12 }), (parts) => {
      const text = parts.join('');
      const got = found(text);
      const want = [...reference(text)].sort();
      if (text.includes('\u0130')) {
        const missed = want.filter((k) => !got.includes(k));
        if (missed.length > 0) t.fail(`missed ${missed.join(', ')} in ${JSON.stringify(text)}`);
      } else if (JSON.stringify(got) !== JSON.stringify(want)) t.same(got, want, JSON.stringify(text));
    }),
    { numRuns: 2000 },
  );
  t.pass('2000 texts');
});

t.test('prefilter: a keyword at the very end, a single-character one, and the folding characters', async (t) => {
  t.same(found('user@'), ['@']);
  t.same(found('Bearer'), ['bearer']);
  t.same(found('API_\u212aEY'), found('api_key'), 'KELVIN SIGN lower-cases to k');
  t.same(found('\u0130DENTIFIED'), ['identified'], 'İ reads as i');
  t.same(found('SECRET'), ['secret']);
  t.same(found('akia'), [], 'a case-sensitive keyword is not folded');
  t.same(found(''), []);
});

// The search reads the lower-cased UTF-8 bytes two at a time: a keyword is found through its first
// pair at an even offset and through its second pair at an odd one, so every keyword is tried at
// each parity, at the very start and the very end, and next to multi-byte characters.
t.test('prefilter: every keyword at every offset parity, at both ends, beside non-ASCII characters', async (t) => {
  const keywords = [...new Set(specs.map((s) => s.keyword))];
  for (const k of keywords) {
    for (const pad of ['', 'a', 'ab', 'abc', 'é', '€', '\u{1f600}', 'é1']) {
      for (const text of [`${pad}${k}`, `${k}${pad}`, `${pad}${k}${pad}`]) {
        const got = found(text);
        const want = [...reference(text)].sort();
        if (JSON.stringify(got) !== JSON.stringify(want)) t.same(got, want, JSON.stringify(text));
      }
    }
  }
  t.pass(`${keywords.length} keywords`);
});

t.test('prefilter: characters beyond ASCII never stand in for ASCII ones', async (t) => {
  // U+0161 and U+0170 end in the byte of `a` and `p`; full-width letters fold to nothing ASCII.
  t.same(found('p\u0161ss'), []);
  t.same(found('\u0170ass'), []);
  t.same(found('\uff50\uff41\uff53\uff53'), []);
  t.same(found('\u212aEY'), ['key'], 'KELVIN SIGN still reads as k');
  t.same(found('AKIA'), ['akia'], 'a case-sensitive keyword as written');
  t.same(found('aKIA AkIA'), [], 'and not in another spelling');
});
