import { mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { createKeyring } from '../../../src/audit/chain-key.js';
import { createFileWitness, readWitnessFiles, witnessFiles } from '../../../src/audit/file-witness.js';
import { GENESIS_HASH } from '../../../src/audit/rows.js';
import { signHead } from '../../../src/audit/witness.js';
import { witnessFloor } from '../../../src/audit/witness-check.js';

const KEY = { id: 'k1', key: 'file-witness-chain-key-0123456789abcdef' };
const head = (writer: string, seq: number) => signHead(KEY, { writer, seq, hash: GENESIS_HASH.replace(/0$/, String(seq % 10)), recorded_at: new Date(0).toISOString() }, new Date(0), 0);

t.test('file witness: rotates by size, no file above the bound, verify reads the heads across every rotated file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kw-witness-'));
  const path = join(dir, 'witness.jsonl');
  writeFileSync(join(dir, 'witness.jsonl.bak'), 'not a rotated file\n'); // a neighbour that is not ours
  let clock = Date.parse('2026-12-07T00:00:00Z');
  const now = () => new Date((clock += 1)); // distinct rotated names
  const lineBytes = Buffer.byteLength(`${JSON.stringify({ type: 'head', ...head('w-old', 1) })}\n`);
  const w = createFileWitness(path, { maxBytes: lineBytes * 3, maxAgeMs: 3_600_000, now });
  w.head(head('w-old', 1)); // w-old is only ever in the first, rotated file
  for (let seq = 1; seq <= 10; seq++) w.head(head('w1', seq));
  await w.close();

  const files = witnessFiles(path);
  t.equal(files.length, 4, 'eleven heads, three per file: three rotated files and the current one');
  t.equal(files.at(-1), path, 'the current file is read last');
  t.notOk(files.some((f) => f.endsWith('.bak')), 'other files beside it are not witness files');
  for (const f of files) t.ok(statSync(f).size <= lineBytes * 3, `${f} within max bytes`);
  t.equal(readdirSync(dir).length, 5, 'nothing deleted');

  const floor = witnessFloor(readWitnessFiles(path), createKeyring(KEY));
  t.equal(floor.heads.get('w1')?.seq, 10, 'latest head of w1 (current file)');
  t.equal(floor.heads.get('w-old')?.seq, 1, 'a writer seen only in a rotated file is still held to its head');
  t.equal(floor.forged.length, 0);
});

t.test('file witness: rotates by age, and a restarted writer continues the current file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kw-witness-'));
  const path = join(dir, 'witness.jsonl');
  let clock = Date.parse('2026-12-07T00:00:00Z');
  const now = () => new Date(clock);
  const w = createFileWitness(path, { maxBytes: 1 << 20, maxAgeMs: 60_000, now });
  w.head(head('w1', 1));
  clock += 30_000;
  w.head(head('w1', 2)); // younger than a minute: same file
  clock += 31_000;
  w.head(head('w1', 3)); // the file is now a minute old: rotated first
  await w.close();
  t.equal(witnessFiles(path).length, 2);
  t.match(witnessFiles(path)[0], /witness\.jsonl\.20261207T000101\.000Z$/, 'named by the UTC time of rotation');

  const again = createFileWitness(path, { maxBytes: 1 << 20, maxAgeMs: 60_000, now });
  again.head(head('w1', 4));
  await again.close();
  t.equal(witnessFiles(path).length, 2, 'a restart appends to the current file');
  t.equal(witnessFloor(readWitnessFiles(path), createKeyring(KEY)).heads.get('w1')?.seq, 4);
});

t.test('file witness: a missing witness is still an error for verify, not an empty floor', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kw-witness-'));
  t.throws(() => readWitnessFiles(join(dir, 'absent.jsonl')), { code: 'ENOENT' });
});
