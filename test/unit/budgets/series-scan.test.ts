import fc from 'fast-check';
import t, { type Test } from 'tap';
import { measurePayload } from '../../../src/budgets/payload.js';
import { seriesId } from '../../../src/budgets/series-id.js';
import { scanSubmission } from '../../../src/budgets/series-scan.js';
import { createSeriesReader, unpackSeries } from '../../../src/budgets/series-walk.js';
import { maskingSection } from '../../../src/config/sections/masking.js';
import { createMasker } from '../../../src/mask/index.js';

const masker = createMasker(maskingSection.parse({}));

/** The series as the masking pass reads them: undefined when masking refused the body or did not walk it as one JSON document. */
function walked(body: Buffer, contentType = 'application/json') {
  const reader = createSeriesReader();
  try {
    masker.maskBody(body, contentType, undefined, reader.read);
  } catch {
    return undefined;
  }
  const r = reader.result();
  return r && { metricPoints: r.metricPoints, series: unpackSeries(r) };
}

/** What a submission weighs, read the reference way: JSON.parse, then the series as objects. */
function reference(body: Buffer): { metricPoints: number; series: { index: number; metric: string; id: string; tags: string[] }[] | null } {
  let doc: unknown;
  try {
    const text = body.toString('utf8');
    doc = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch {
    return { metricPoints: 0, series: null };
  }
  const list = (doc as { series?: unknown } | null)?.series;
  if (!Array.isArray(list)) return { metricPoints: 0, series: null };
  let metricPoints = 0;
  const series: { index: number; metric: string; id: string; tags: string[] }[] = [];
  list.forEach((s: unknown, index) => {
    if (typeof s !== 'object' || s === null) return;
    const o = s as Record<string, unknown>;
    if (Array.isArray(o.points)) metricPoints += o.points.length;
    if (typeof o.metric !== 'string') return;
    const tags = Array.isArray(o.tags) ? o.tags.filter((x): x is string => typeof x === 'string') : [];
    series.push({ index, metric: o.metric, id: seriesId(o.metric, tags, o.host, o.resources), tags });
  });
  return { metricPoints, series };
}

const plain = (m: { metricPoints: number; series: readonly { index: number; metric: string; id: string; tags: readonly string[] }[] | null } | null) => (m === null ? null : { metricPoints: m.metricPoints, series: m.series?.map((s) => ({ index: s.index, metric: s.metric, id: s.id, tags: [...s.tags] })) ?? null });

/** The scanner, where it answers, agrees with the reference; it never answers for a body JSON.parse refuses; measurePayload always agrees. */
function agrees(t: Test, body: Buffer, name: string): boolean {
  const want = reference(body);
  const got = plain(scanSubmission(body));
  let parses = true;
  try {
    const text = body.toString('utf8');
    JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch {
    parses = false;
  }
  if (!parses && got !== null) {
    t.fail(`${name}: the scanner answered for a body JSON.parse refuses`, { body: body.toString('latin1') });
    return false;
  }
  if (got !== null && JSON.stringify(got) !== JSON.stringify(want)) {
    t.same(got, want, `${name}: scanner vs JSON.parse`);
    return false;
  }
  const fromWalk = walked(body);
  if (fromWalk && JSON.stringify(plain(fromWalk)) !== JSON.stringify(want)) {
    t.same(plain(fromWalk), want, `${name}: the masking pass's reading vs JSON.parse`);
    return false;
  }
  if (fromWalk !== undefined && !parses) {
    t.fail(`${name}: the masker walked a body JSON.parse refuses`, { body: body.toString('latin1') });
    return false;
  }
  const measured = measurePayload('metrics', body, 'application/json');
  const viaMeasure = { metricPoints: measured.metricPoints, series: measured.series?.map((s) => ({ index: s.index, metric: s.metric, id: s.id, tags: [...s.tags] })) ?? null };
  if (JSON.stringify(viaMeasure) !== JSON.stringify(want)) {
    t.same(viaMeasure, want, `${name}: measurePayload vs JSON.parse`);
    return false;
  }
  return true;
}

t.test('series scan: an ordinary v2 submission is read from its bytes, as JSON.parse reads it', async (t) => {
  const body = Buffer.from(JSON.stringify({ series: [{ metric: 'app.req', type: 3, points: [{ timestamp: 1, value: 2.5 }, { timestamp: 2, value: -1e3 }], tags: ['service:a', 'env:prod'], resources: [{ name: 'h1', type: 'host' }] }] }));
  const got = scanSubmission(body);
  t.not(got, null, 'answered without JSON.parse');
  t.same(plain(got), reference(body));
  t.equal(got!.series![0]!.id, seriesId('app.req', ['env:prod', 'service:a'], undefined, [{ type: 'host', name: 'h1' }]), 'the id counted in Redis before this scanner existed');
});

t.test('series scan: the shapes JSON.parse reads its own way', async (t) => {
  const cases: [string, string, boolean][] = [
    // [name, body, the scanner answers itself]
    ['v1 with host', '{"series":[{"metric":"a","points":[[1,2],[2,3]],"tags":["x:1"],"host":"h1"}]}', true],
    ['distribution points', '{"series":[{"metric":"d","points":[[1,[1,2,3]]],"tags":[]}]}', true],
    ['byte-order mark', '\uFEFF{"series":[{"metric":"a","points":[[1,2]]}]}', true],
    ['whitespace everywhere', ' \r\n\t{ "series" : [ { "metric" : "a" , "points" : [ [ 1 , 2 ] ] , "tags" : [ "b" , "a" ] } ] } \n', true],
    ['last series member wins', '{"series":[{"metric":"decoy"}],"series":[{"metric":"old"},{"metric":"new"}]}', true],
    ['a later non-array series hides the earlier', '{"series":[{"metric":"a"}],"series":null}', true],
    ['last metric wins, even a number', '{"series":[{"metric":"a","metric":5,"points":[1,2]}]}', true],
    ['last points wins', '{"series":[{"metric":"a","points":[1,2,3],"points":"x"}]}', true],
    ['non-string tags ignored', '{"series":[{"metric":"a","tags":["x",1,null,{"a":"b"},["c"],"y"]}]}', true],
    ['tags not an array', '{"series":[{"metric":"a","tags":"x:1"}]}', true],
    ['non-object elements keep their index', '{"series":[1,"a",null,[{"metric":"inner"}],{"metric":"b"}]}', true],
    ['host not a string', '{"series":[{"metric":"a","host":7}]}', true],
    ['resource shapes', '{"series":[{"metric":"a","resources":[{"type":"host","name":"x"}]},{"metric":"b","resources":[[]]},{"metric":"c","resources":["s"]},{"metric":"d","resources":[{"type":null}]},{"metric":"e","resources":[]},{"metric":"f","resources":{"type":"host"}}]}', true],
    ['several resources are sorted', '{"series":[{"metric":"a","resources":[{"type":"z","name":"1"},{"type":"a","name":"2"}]}]}', true],
    ['escapes and non-ASCII in values', '{"series":[{"metric":"caf\\u00e9.\u00df","tags":["\u65e5\u672c:\u5024","q:\\"x\\"","emoji:\ud83d\ude00"],"host":"h\\/1"}]}', true],
    ['an escaped member name reads the slow way', '{"series":[{"m\\u0065tric":"sneaky","points":[1]}]}', false],
    ['an escaped series name reads the slow way', '{"s\\u0065ries":[{"metric":"sneaky"}]}', false],
    ['a numeric resource type reads the slow way', '{"series":[{"metric":"a","resources":[{"type":5,"name":"x"}]}]}', false],
    ['a resource field with a toString of its own reads the slow way, and does not throw', '{"series":[{"metric":"a","resources":[{"type":{"toString":1},"name":{"valueOf":{},"toString":null}}]}]}', false],
    ['many tags', JSON.stringify({ series: [{ metric: 'a', tags: Array.from({ length: 40 }, (_, i) => `k${(i * 7) % 40}:${i}`) }] }), true],
    ['not an object', '[{"series":[]}]', false],
    ['series in a nested object only', '{"meta":{"series":[{"metric":"a"}]}}', true],
    ['lone surrogate escape', '{"series":[{"metric":"\\ud800","tags":["\\udc00x"]}]}', true],
    ['__proto__ member', '{"__proto__":{"series":[{"metric":"a"}]},"series":[{"metric":"b","__proto__":{"metric":"c"}}]}', true],
    ['deep nesting reads the slow way', `{"series":[{"metric":"a","x":${'['.repeat(100)}${']'.repeat(100)}}]}`, false],
  ];
  for (const [name, text, answers] of cases) {
    const body = Buffer.from(text, 'utf8');
    t.ok(agrees(t, body, name), name);
    t.equal(scanSubmission(body) !== null, answers, `${name}: ${answers ? 'answered from the bytes' : 'left to JSON.parse'}`);
  }
});

t.test('series scan: what JSON.parse refuses, the scanner leaves to it (and so weighs nothing)', async (t) => {
  const invalid = [
    '{"series":[{"metric":"a\nb"}]}',
    '{"series":[{"metric":"\\x"}]}',
    '{"series":[{"metric":"\\u12g4"}]}',
    '{"series":[{"metric":"a"}]',
    '{"series":[{"metric":"a"},]}',
    '{"series":[{"metric":"a" "points":[]}]}',
    '{"series":[{"metric":"a","points":[01]}]}',
    '{"series":[{"metric":"a","points":[1.]}]}',
    '{"series":[{"metric":"a","points":[-]}]}',
    '{"series":[{"metric":"a","points":[1e]}]}',
    '{"series":[{"metric":"a","points":[tru]}]}',
    '{"series":[{"metric":"a"}]} x',
    '{"series":[{"metric":"a"}]}{}',
    '{"series":[{metric:"a"}]}',
    '{"series":[{"metric":"a","tags":["x",]}]}',
    '{"series":[{"metric":"a\x7f\x00"}]}',
    '{"series":[{"metric":"abc',
    '',
  ];
  for (const text of invalid) {
    const body = Buffer.from(text, 'latin1');
    t.equal(scanSubmission(body), null, JSON.stringify(text));
    t.ok(agrees(t, body, JSON.stringify(text)));
  }
});

const atom = fc.oneof(fc.string(), fc.constantFrom('host', 'env:prod', 'a:1', 'caf\u00e9', '\u65e5\u672c', 'q"x', 'back\\slash', '\ud83d\ude00'), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null));
const resource = fc.oneof(fc.record({ type: fc.oneof(fc.string(), fc.constant(null)), name: fc.oneof(fc.string(), fc.constantFrom('i-0abc', 'h\u00f4st')) }, { requiredKeys: [] }), atom, fc.constant([]));
const series = fc.record(
  {
    metric: fc.oneof({ weight: 5, arbitrary: fc.oneof(fc.string(), fc.constantFrom('app.req', 'm\u00e9trique', 'a"b')) }, { weight: 1, arbitrary: atom }),
    type: fc.integer({ min: 0, max: 3 }),
    points: fc.oneof(fc.array(fc.oneof(fc.tuple(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true })), fc.record({ timestamp: fc.integer(), value: fc.double({ noNaN: true, noDefaultInfinity: true }) })), { maxLength: 4 }), atom),
    tags: fc.oneof({ weight: 5, arbitrary: fc.array(fc.oneof({ weight: 4, arbitrary: fc.string() }, { weight: 1, arbitrary: atom }), { maxLength: 40 }) }, { weight: 1, arbitrary: atom }),
    host: fc.oneof(fc.string(), atom),
    resources: fc.oneof(fc.array(resource, { maxLength: 3 }), atom),
    extra: fc.jsonValue({ maxDepth: 3 }),
  },
  { requiredKeys: [] },
);
const element = fc.oneof({ weight: 6, arbitrary: series }, { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) });
const document = fc.record({ series: fc.oneof({ weight: 8, arbitrary: fc.array(element, { maxLength: 6 }) }, { weight: 1, arbitrary: atom }), other: fc.jsonValue({ maxDepth: 2 }) }, { requiredKeys: [] });
/** JSON text of the document: compact or indented, sometimes with a byte-order mark or a repeated member. */
const text = fc.tuple(document, fc.constantFrom(0, 1, '\t'), fc.boolean(), fc.boolean()).map(([doc, indent, bom, repeat]) => {
  let s = JSON.stringify(doc, null, indent);
  if (repeat && s.startsWith('{') && s.length > 2) s = `{"series":[{"metric":"decoy","points":[1]}],${s.slice(1)}`;
  return (bom ? '\uFEFF' : '') + s;
});

t.test('series scan: generated submissions read as JSON.parse reads them', async (t) => {
  let answered = 0;
  let fromMasking = 0;
  let runs = 0;
  fc.assert(
    fc.property(text, (s) => {
      runs++;
      const body = Buffer.from(s, 'utf8');
      if (scanSubmission(body) !== null) answered++;
      if (walked(body)) fromMasking++;
      return agrees(t, body, 'generated');
    }),
    { numRuns: 1500, seed: 18 },
  );
  t.ok(answered > runs * 0.8, `the scanner answered ${answered} of ${runs} itself (the rest: escaped names, numeric resource fields)`);
  t.ok(fromMasking > runs * 0.8, `the masking pass's reading answered ${fromMasking} of ${runs}`);
});

t.test('series scan: a byte changed anywhere, and still no disagreement', async (t) => {
  let refused = 0;
  const edits = ['"', '\\', '{', '}', '[', ']', ',', ':', ' ', '0', '-', '.', 'e', 'n', 't', '\x01', '\x7f', '\u00e9'];
  fc.assert(
    fc.property(text, fc.nat(), fc.nat(), fc.constantFrom('insert', 'delete', 'replace'), (s, at, pick, how) => {
      const body = Buffer.from(s, 'utf8');
      const i = body.length === 0 ? 0 : at % body.length;
      const c = Buffer.from(edits[pick % edits.length]!, 'utf8');
      const edited = how === 'insert' ? Buffer.concat([body.subarray(0, i), c, body.subarray(i)]) : how === 'delete' ? Buffer.concat([body.subarray(0, i), body.subarray(i + 1)]) : Buffer.concat([body.subarray(0, i), c, body.subarray(i + 1)]);
      if (reference(edited).series === null) refused++;
      return agrees(t, edited, 'edited');
    }),
    { numRuns: 3000, seed: 1807 },
  );
  t.ok(refused > 300, `${refused} of 3000 edited bodies were ones JSON.parse refuses or that hold no series`);
});

t.test('series scan: a series read from the bytes decodes its metric and tags only when asked', async (t) => {
  const body = Buffer.from('{"series":[{"metric":"a.b","tags":["z:1","a:2"]}]}');
  const s = scanSubmission(body)!.series![0]!;
  t.equal(s.metric, 'a.b');
  t.same(s.tags, ['z:1', 'a:2'], 'as sent, not sorted');
  t.equal(s.tags, s.tags, 'decoded once');
});

t.test("series scan: the masking pass's reading is sized by the series a body holds, each column in a buffer of its own", async (t) => {
  // A million-element `series` array of numbers holds no series: the reading stays small.
  const numbers = walked(Buffer.from(`{"series":[${'0,'.repeat(1_000_000)}0]}`));
  t.same(numbers, { metricPoints: 0, series: [] });
  const reader = createSeriesReader();
  masker.maskBody(Buffer.from(`{"series":[${'{},'.repeat(100_000)}{"metric":"a","tags":["x"]}]}`), 'application/json', undefined, reader.read);
  const r = reader.result()!;
  t.equal(r.count, 1);
  for (const [name, column] of [['table', r.table], ['tags', r.tags], ['ids', r.ids]] as const) {
    t.equal(column.buffer.byteLength, column.byteLength, `${name}: its own buffer, so a worker moves just it`);
    t.ok(column.byteLength <= 64, `${name}: ${column.byteLength} bytes for one series`);
  }
});
