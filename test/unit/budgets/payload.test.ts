import t from 'tap';
import { measurePayload, payloadKind } from '../../../src/budgets/payload.js';
import { hash64, seriesId, seriesKey } from '../../../src/budgets/series-id.js';
import { dropSeries, seriesSpans } from '../../../src/budgets/series-drop.js';
import { seriesSlots, windowPosition } from '../../../src/budgets/windows.js';

const buf = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v));

t.test('budgets payload: endpoints by kind', async (t) => {
  t.equal(payloadKind('POST', '/api/v2/series'), 'metrics');
  t.equal(payloadKind('POST', '/api/v1/series?api_key=x'), 'metrics');
  t.equal(payloadKind('POST', '/api/v1/distribution_points'), 'metrics');
  t.equal(payloadKind('POST', '/api/v2/logs'), 'logs');
  t.equal(payloadKind('POST', '/v1/input/abc'), 'logs');
  t.equal(payloadKind('POST', '/api/v1/events'), 'events');
  t.equal(payloadKind('GET', '/api/v2/series'), 'other');
  t.equal(payloadKind('POST', '/api/v1/monitor'), 'other');
});

t.test('budgets payload: v1, v2 and distribution series are counted with their points', async (t) => {
  const v1 = measurePayload('metrics', buf({ series: [{ metric: 'a', points: [[1, 2], [2, 3]], tags: ['x:1'], host: 'h1' }, { metric: 'b', points: [[1, 1]] }] }), 'application/json');
  t.equal(v1.metricPoints, 3);
  t.same(v1.series?.map((s) => [s.index, s.metric]), [[0, 'a'], [1, 'b']]);
  const v2 = measurePayload('metrics', buf({ series: [{ metric: 'a', type: 0, points: [{ timestamp: 1, value: 1 }], tags: ['x:1'], resources: [{ name: 'h1', type: 'host' }] }] }), undefined);
  t.equal(v2.metricPoints, 1);
  const dist = measurePayload('metrics', buf({ series: [{ metric: 'd', points: [[1, [1, 2, 3]]], tags: [] }] }), 'application/json');
  t.equal(dist.metricPoints, 1);
  const bom = measurePayload('metrics', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), buf({ series: [{ metric: 'a', points: [[1, 2]], tags: ['x:1'] }] })]), 'application/json');
  t.same(bom.series?.map((s) => s.metric), ['a'], 'a leading byte-order mark does not hide the series from the guard');
  t.same(measurePayload('metrics', buf('not json'), 'application/json'), { logEvents: 0, metricPoints: 0, events: 0, series: null }, 'invalid JSON weighs nothing here (masking refuses it)');
});

t.test('budgets payload: a series is metric + sorted tags + host/resources', async (t) => {
  t.equal(seriesId('m', ['a:1', 'b:2'], 'h', undefined), seriesId('m', ['b:2', 'a:1'], 'h', undefined), 'tag order does not make a new series');
  t.not(seriesId('m', ['a:1'], 'h1', undefined), seriesId('m', ['a:1'], 'h2', undefined), 'host does');
  t.not(seriesId('m', ['a:1'], undefined, [{ type: 'host', name: 'x' }]), seriesId('m', ['a:1'], undefined, [{ type: 'host', name: 'y' }]), 'v2 resources do');
  t.not(seriesId('m', ['a:1'], '', undefined), seriesId('n', ['a:1'], '', undefined));
  t.match(seriesId('m', [], '', undefined), /^[0-9a-f]{16}$/);
});

t.test('budgets payload: log entries and events', async (t) => {
  t.equal(measurePayload('logs', buf([{ message: 'a' }, { message: 'b' }]), 'application/json').logEvents, 2);
  t.equal(measurePayload('logs', buf({ message: 'a' }), 'application/json').logEvents, 1);
  t.equal(measurePayload('logs', buf('line one\nline two\n\n'), 'text/plain').logEvents, 2);
  t.equal(measurePayload('events', buf({ title: 't', text: 'x' }), 'application/json').events, 1);
  t.equal(measurePayload('logs', Buffer.alloc(0), 'application/json').logEvents, 0);
});

t.test('budgets series-drop: removes elements by position, every other byte as sent', async (t) => {
  const text = '{ "meta": {"s": "series"}, "series" : [ {"metric":"a","points":[[1,12345678901234567890]]} ,{"metric":"b\\"]"}, {"metric":"c"}\n] }';
  t.equal(seriesSpans(text)?.length, 3);
  const out = dropSeries(text, new Set([1]));
  t.equal(out, '{ "meta": {"s": "series"}, "series" : [ {"metric":"a","points":[[1,12345678901234567890]]},{"metric":"c"}\n] }', '64-bit integers untouched');
  t.same((JSON.parse(dropSeries(text, new Set([0, 1, 2]))) as { series: unknown[] }).series, []);
  t.equal(dropSeries(text, new Set()), text);
  t.equal(seriesSpans('[1,2]'), null);
});

t.test('budgets series-drop: cuts the series measurePayload counted (last member, past a byte-order mark)', async (t) => {
  const twice = '{"series":[{"metric":"decoy"}],"series":[{"metric":"old"},{"metric":"new"}]}';
  t.same(measurePayload('metrics', Buffer.from(twice), 'application/json').series?.map((s) => s.metric), ['old', 'new'], 'JSON.parse keeps the last member');
  t.same((JSON.parse(dropSeries(twice, new Set([1]))) as { series: { metric: string }[] }).series.map((s) => s.metric), ['old'], 'the drop cuts that same array');
  t.equal(seriesSpans('{"series":[{"metric":"a"}],"series":null}'), null, 'a later non-array series is what counts');
  const bom = '\uFEFF{"series":[{"metric":"old"},{"metric":"new"}]}';
  t.equal(dropSeries(bom, new Set([1])), '\uFEFF{"series":[{"metric":"old"}]}', 'a byte-order mark does not stop the drop');
});

t.test('budgets windows: sliding weight and reset', async (t) => {
  const w = 60_000;
  t.match(windowPosition(120_000, w), { bucket: 2, prevWeight: 1, resetSeconds: 60 });
  t.match(windowPosition(150_000, w), { bucket: 2, prevWeight: 0.5, resetSeconds: 30 });
  t.equal(windowPosition(179_999, w).resetSeconds, 1);
  t.same(seriesSlots(3_600_000), [6, 5, 4, 3, 2, 1]);
});

t.test('budgets payload: the series id is hash64 of the series key, computed without building the key', async (t) => {
  const cases: [string, string[], unknown, unknown][] = [
    ['m', [], '', undefined],
    ['m', ['b:2', 'a:1', 'a:1'], 'h', undefined],
    ['café.ß', ['日本:値', 'emoji:😀', ''], 'hôst', [{ type: 'host', name: 'x' }, 'junk', { name: 'n' }]],
    ['', [''], undefined, []],
    ['m', ['z', 'a'], 7, [{ type: 'b', name: 'y' }, { type: 'a', name: 'z' }]],
    ['many', Array.from({ length: 40 }, (_, i) => `k${(i * 7) % 40}:${i % 3}`), 'h', null],
    ['order', ['b', 'B', 'a', 'ä', 'a:1', 'a', '\ud83d\ude00', '\uffff', 'Z'], '', undefined],
  ];
  for (const [metric, tags, host, resources] of cases) t.equal(seriesId(metric, tags, host, resources), hash64(seriesKey(metric, tags, host, resources)), `${metric} ${tags.join(',')}`);
  t.equal(seriesKey('m', ['b', 'a'], 'h', [{ type: 't', name: 'n' }]), 'm\u0000a\u0001b\u0000h\u0000t:n');
});
