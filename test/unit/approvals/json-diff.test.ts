import t from 'tap';
import { jsonDiff } from '../../../src/approvals/json-diff.js';

const current = JSON.stringify({ title: 'ops', layout_type: 'ordered', widgets: [{ id: 1, definition: { title: 'cpu' } }, { id: 2 }], 'odd key': 1, tags: ['team:a'] });

t.test('json diff: a PUT shows what it changes, adds, and leaves out (Datadog replaces the object)', async (t) => {
  const put = JSON.stringify({ title: 'ops v2', layout_type: 'ordered', widgets: [{ id: 1, definition: { title: 'cpu' } }], description: 'new', 'odd key': 1 });
  const d = jsonDiff(current, put, 'PUT')!;
  t.same(d.changes, [
    { path: '$.title', kind: 'changed', before: '"ops"', after: '"ops v2"' },
    { path: '$.widgets[1]', kind: 'absent', before: '{"id":2}', after: null },
    { path: '$.description', kind: 'added', before: null, after: '"new"' },
    { path: '$.tags', kind: 'absent', before: '["team:a"]', after: null },
  ]);
  t.equal(d.truncated, false);
});

t.test('json diff: a PATCH leaves out what it does not send, but a shorter array still drops its tail', async (t) => {
  const patch = JSON.stringify({ title: 'ops', widgets: [{ id: 1, definition: { title: 'CPU' } }] });
  const d = jsonDiff(current, patch, 'patch')!;
  t.same(d.changes, [
    { path: '$.widgets[0].definition.title', kind: 'changed', before: '"cpu"', after: '"CPU"' },
    { path: '$.widgets[1]', kind: 'absent', before: '{"id":2}', after: null },
  ]);
});

t.test('json diff: keys that are not identifiers are quoted; identical documents have no change', async (t) => {
  t.same(jsonDiff(current, current, 'PUT')!.changes, []);
  const d = jsonDiff(JSON.stringify({ 'a b': 1, 'x"y': 2 }), JSON.stringify({ 'a b': 2, 'x"y': 3 }), 'PATCH')!;
  t.same(d.changes.map((c) => c.path), ['$["a b"]', '$["x\\"y"]']);
});

t.test('json diff: a type change is one change, not a walk into either side', async (t) => {
  const d = jsonDiff(JSON.stringify({ a: { b: 1 } }), JSON.stringify({ a: [1] }), 'PUT')!;
  t.same(d.changes, [{ path: '$.a', kind: 'changed', before: '{"b":1}', after: '[1]' }]);
});

t.test('json diff: not JSON on either side → null (the page says why), and huge diffs are capped', async (t) => {
  t.equal(jsonDiff('not json', '{}', 'PUT'), null);
  t.equal(jsonDiff('{}', '{"a":', 'PUT'), null);
  const many = Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`k${i}`, i]));
  const d = jsonDiff('{}', JSON.stringify(many), 'PUT', 200)!;
  t.equal(d.changes.length, 200);
  t.equal(d.truncated, true);
  const few = jsonDiff('{}', JSON.stringify({ a: 1 }), 'PUT', 200)!;
  t.equal(few.truncated, false);
});
