import { readFileSync } from 'node:fs';
import t from 'tap';
import { createMasker } from '../../../src/mask/index.js';
import { maskerConfig } from './helpers.js';

interface Payload {
  file: string;
  content_type: string;
  secrets: { type: string; value: string }[];
  negatives: string[];
}

const dir = new URL('../../fixtures/mask/', import.meta.url);
const corpus = JSON.parse(readFileSync(new URL('corpus.json', dir), 'utf8')) as { payloads: Payload[] };
const masker = createMasker(maskerConfig());

function occurrences(text: string, value: string): [number, number][] {
  const out: [number, number][] = [];
  for (let i = text.indexOf(value); i >= 0; i = text.indexOf(value, i + 1)) out.push([i, i + value.length]);
  return out;
}

let planted = 0;
let found = 0;
let spans = 0;
let trueSpans = 0;
const misses: string[] = [];
const falseHits: string[] = [];

for (const p of corpus.payloads) {
  const raw = readFileSync(new URL(p.file, dir));
  const text = raw.toString('latin1');
  const kind = p.content_type === 'text/plain' ? 'text' : 'json';
  const redactions = masker.detect(text, kind);
  const out = masker.maskBody(raw, p.content_type).body.toString('latin1');
  const secretRanges = p.secrets.flatMap((s) => occurrences(text, s.value).map((r) => ({ ...s, range: r })));

  t.test(`corpus ${p.file}: annotations are in the payload`, async (t) => {
    for (const s of p.secrets) t.ok(text.includes(s.value), `${s.type} planted`);
    for (const n of p.negatives) t.ok(text.includes(n), `negative ${n.slice(0, 12)}… present`);
  });

  for (const s of secretRanges) {
    planted++;
    const covered = redactions.some((r) => r.start <= s.range[0] && r.end >= s.range[1]);
    if (covered && !out.includes(s.value)) found++;
    else misses.push(`${p.file}: ${s.type}`);
  }
  for (const r of redactions) {
    spans++;
    if (secretRanges.some((s) => r.start < s.range[1] && r.end > s.range[0])) trueSpans++;
    else falseHits.push(`${p.file}: ${r.type} at ${r.location} (${JSON.stringify(text.slice(r.start, r.end).slice(0, 24))})`);
  }

  t.test(`corpus ${p.file}: hard negatives survive byte-identical`, async (t) => {
    for (const n of p.negatives) t.equal(occurrences(out, n).length, occurrences(text, n).length, `negative ${n.slice(0, 16)}… intact`);
    if (kind === 'json') t.doesNotThrow(() => JSON.parse(out), 'masked JSON still parses');
  });
}

t.test('corpus: precision and recall ≥ 0.98', async (t) => {
  const recall = found / planted;
  const precision = spans === 0 ? 1 : trueSpans / spans;
  t.comment(`planted ${planted}, found ${found}, spans ${spans}, true spans ${trueSpans}: precision ${precision.toFixed(3)}, recall ${recall.toFixed(3)}`);
  t.ok(planted >= 40, 'the corpus plants enough secrets to measure');
  t.ok(recall >= 0.98, `recall ${recall.toFixed(3)}; missed: ${misses.join('; ') || 'none'}`);
  t.ok(precision >= 0.98, `precision ${precision.toFixed(3)}; false hits: ${falseHits.join('; ') || 'none'}`);
});
