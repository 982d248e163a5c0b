import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import t from 'tap';
import { createMasker } from '../../../src/mask/index.js';
import { buildCorpus, CORPUS_FILE, type SpecCorpus } from '../../fixtures/mask-spec/generate.js';
import { maskerConfig } from './helpers.js';

// The second corpus (test/fixtures/mask-spec): generated from the formats' specifications, never
// tuned against. Precision and recall are reported per type and must each be ≥ 0.98.
const corpus = JSON.parse(gunzipSync(readFileSync(CORPUS_FILE)).toString('utf8')) as SpecCorpus;
const masker = createMasker(maskerConfig());
const FLOOR = 0.98;

function occurrences(text: string, value: string): [number, number][] {
  const out: [number, number][] = [];
  for (let i = text.indexOf(value); i >= 0; i = text.indexOf(value, i + 1)) out.push([i, i + value.length]);
  return out;
}

t.test('spec corpus: the checked-in corpus is what the generator makes for its seed', async (t) => {
  t.same(buildCorpus(corpus.seed), corpus);
});

const recall = new Map<string, { planted: number; found: number; missed: string[] }>();
const precision = new Map<string, { spans: number; true: number; wrong: string[] }>();

for (const p of corpus.payloads) {
  const raw = Buffer.from(p.body, 'latin1');
  const kind = p.content_type === 'application/json' ? 'json' : 'text';
  const redactions = masker.detect(p.body, kind);
  const out = masker.maskBody(raw, p.content_type).body.toString('latin1');
  const ranges = p.secrets.flatMap((s) => occurrences(p.body, s.value).map((range) => ({ ...s, range })));

  t.test(`spec corpus ${p.name}: every planted value and negative is in the payload`, async (t) => {
    for (const s of p.secrets) t.ok(p.body.includes(s.value), `${s.type} planted`);
    for (const n of p.negatives) t.ok(p.body.includes(n), `negative ${n.slice(0, 12)}… present`);
  });

  for (const s of ranges) {
    const r = recall.get(s.type) ?? { planted: 0, found: 0, missed: [] };
    recall.set(s.type, r);
    r.planted++;
    const covered = redactions.some((x) => x.start <= s.range[0] && x.end >= s.range[1]);
    if (covered && !out.includes(s.value)) r.found++;
    else r.missed.push(`${p.name}: ${JSON.stringify(p.body.slice(Math.max(0, s.range[0] - 30), s.range[1] + 10))}`);
  }
  for (const x of redactions) {
    const q = precision.get(x.type) ?? { spans: 0, true: 0, wrong: [] };
    precision.set(x.type, q);
    q.spans++;
    if (ranges.some((s) => x.start < s.range[1] && x.end > s.range[0])) q.true++;
    else q.wrong.push(`${p.name} ${x.location}: ${JSON.stringify(p.body.slice(x.start, x.end).slice(0, 40))}`);
  }

  t.test(`spec corpus ${p.name}: hard negatives survive byte-identical, JSON stays valid`, async (t) => {
    for (const n of p.negatives) t.equal(occurrences(out, n).length, occurrences(p.body, n).length, `negative ${n.slice(0, 16)}… intact`);
    if (kind === 'json') t.doesNotThrow(() => JSON.parse(out), 'masked JSON still parses');
  });
}

t.test('spec corpus: recall per planted type ≥ 0.98', async (t) => {
  t.ok(recall.size >= 30, `${recall.size} planted types`);
  for (const [type, r] of [...recall].sort()) {
    const value = r.found / r.planted;
    t.comment(`recall    ${type.padEnd(36)} ${value.toFixed(3)}  (${r.found}/${r.planted})`);
    t.ok(value >= FLOOR, `${type}: recall ${value.toFixed(3)}; missed: ${r.missed.slice(0, 3).join('; ') || 'none'}`);
  }
});

t.test('spec corpus: precision per reported type ≥ 0.98', async (t) => {
  for (const [type, q] of [...precision].sort()) {
    const value = q.true / q.spans;
    t.comment(`precision ${type.padEnd(36)} ${value.toFixed(3)}  (${q.true}/${q.spans})`);
    t.ok(value >= FLOOR, `${type}: precision ${value.toFixed(3)}; false hits: ${q.wrong.slice(0, 3).join('; ') || 'none'}`);
  }
});
