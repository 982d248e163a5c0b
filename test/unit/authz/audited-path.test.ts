import t from 'tap';
import { auditedPath } from '../../../src/authz/audited-path.js';
import type { Runtime } from '../../../src/config/compile.js';
import type { CheckDocument } from '../../../src/authz/types.js';

/** A runtime whose masker hides `SECRET…` words and counts how often it is asked. */
function runtimeMasking(word: RegExp) {
  const asked = { n: 0 };
  const maskText = (text: string) => {
    asked.n += 1;
    const masked = text.replace(word, '[REDACTED]');
    return { text: masked, changed: masked !== text, findings: [] };
  };
  return { runtime: { masker: { maskText } } as unknown as Runtime, asked };
}
const doc = (path: string) => ({ input: { path } }) as unknown as CheckDocument;

t.test('audited path: a clean path is masked once per runtime, a path with a secret every time', async (t) => {
  const a = runtimeMasking(/SECRET\w*/g);
  t.equal(auditedPath(doc('/api/v2/series'), a.runtime), '/api/v2/series');
  const once = a.asked.n;
  t.ok(once > 0, 'the masker saw the path');
  for (let i = 0; i < 3; i++) t.equal(auditedPath(doc('/api/v2/series'), a.runtime), '/api/v2/series');
  t.equal(a.asked.n, once, 'a clean path is not masked again');

  for (let i = 0; i < 3; i++) t.equal(auditedPath(doc('/api/v1/monitor/SECRETabc'), a.runtime), '/api/v1/monitor/[REDACTED]');
  t.ok(a.asked.n >= once + 3, 'a path the masker changed is masked each time: nothing it found is kept');

  // A reload compiles a new runtime that may mask more: it never reuses the other runtime's answers.
  const b = runtimeMasking(/series/g);
  t.equal(auditedPath(doc('/api/v2/series'), b.runtime), '/api/v2/[REDACTED]');
  t.equal(auditedPath(doc('/api/v2/series'), a.runtime), '/api/v2/series');
});

t.test('audited path: the clean-path memory is bounded', async (t) => {
  const a = runtimeMasking(/SECRET\w*/g);
  const long = `/api/v1/dashboard/${'x'.repeat(600)}`;
  auditedPath(doc(long), a.runtime);
  const before = a.asked.n;
  auditedPath(doc(long), a.runtime);
  t.ok(a.asked.n > before, 'a long path is not kept');
  for (let i = 0; i <= 4096; i++) auditedPath(doc(`/api/v1/dashboard/d${i}`), a.runtime);
  const full = a.asked.n;
  auditedPath(doc('/api/v1/dashboard/d0'), a.runtime);
  t.ok(a.asked.n > full, 'past 4096 paths the memory starts again');
});
