import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import zlib from 'node:zlib';
import t from 'tap';
import { maskCli } from './mask-cli.js';

// Through a real process, as an operator runs it.
t.setTimeout(180_000); // each case starts a Node process; a busy machine is slow to.
const mask = maskCli;

const dir = mkdtempSync(join(tmpdir(), 'keyward-mask-'));
const payload = '{"message":"login by bob@example.com","api_key":"0123456789abcdef0123456789abcdef","n":9007199254740993}';

t.test('cli mask: a JSON file is masked to stdout, exit 0', async (t) => {
  const file = join(dir, 'body.json');
  writeFileSync(file, payload);
  const r = mask([file]);
  t.equal(r.status, 0);
  t.equal(r.stdout.toString(), '{"message":"login by [REDACTED:email]","api_key":"[REDACTED:datadog_api_key]","n":9007199254740993}');
  t.equal(r.stderr, '', 'nothing on stderr without --findings');
});

t.test('cli mask: gzip on stdin comes back gzip, findings on stderr as one JSON document', async (t) => {
  const r = mask(['-', '--findings', '--content-type', 'application/json', '--content-encoding', 'gzip'], zlib.gzipSync(payload));
  t.equal(r.status, 0);
  t.equal(zlib.gunzipSync(r.stdout).toString(), '{"message":"login by [REDACTED:email]","api_key":"[REDACTED:datadog_api_key]","n":9007199254740993}');
  const doc = JSON.parse(r.stderr) as { findings: { type: string; count: number; locations: string[] }[]; content_encoding: string };
  t.equal(doc.content_encoding, 'gzip');
  t.same(doc.findings, [
    { type: 'datadog_api_key', count: 1, locations: ['$.api_key'] },
    { type: 'email', count: 1, locations: ['$.message'] },
  ]);
  t.notOk(r.stderr.includes('0123456789abcdef'), 'findings never hold the value');
});

t.test('cli mask: hmac style gives equal tokens for equal secrets', async (t) => {
  const body = Buffer.from('a bob@example.com b bob@example.com c eve@example.com');
  const r = mask(['--style', 'hmac', '--content-type', 'text/plain'], body, { KEYWARD_MASK_HMAC_KEY: 'k'.repeat(32) });
  t.equal(r.status, 0);
  const tokens = r.stdout.toString().match(/\[REDACTED:email:[0-9a-f]{8}\]/g) ?? [];
  t.equal(tokens.length, 3);
  t.equal(tokens[0], tokens[1]);
  t.not(tokens[0], tokens[2]);
  const noKey = mask(['--style', 'hmac'], body, { KEYWARD_MASK_HMAC_KEY: '' });
  t.equal(noKey.status, 2);
  t.match(noKey.stderr, /^error hmac_key_missing: /);
});

t.test('cli mask: bad input gets a clear one-line error and a non-zero exit', async (t) => {
  const cases: [string[], Buffer, RegExp][] = [
    [['--content-type', 'application/json'], Buffer.from('{"a": '), /^error body_json_invalid: /],
    [['--content-encoding', 'gzip'], zlib.gzipSync(payload).subarray(0, 20), /^error body_encoding_invalid: /],
    [['--content-encoding', 'lzma'], Buffer.from(payload), /^error body_encoding_unsupported: /],
    [[join(dir, 'missing.json')], Buffer.alloc(0), /^error input_unreadable: /],
  ];
  for (const [args, input, expected] of cases) {
    const r = mask(args, input);
    t.equal(r.status, 2, args.join(' '));
    t.match(r.stderr, expected);
    t.equal(r.stderr.trim().split('\n').length, 1, 'one line');
    t.equal(r.stdout.length, 0, 'nothing half-written on stdout');
  }
});

t.test('cli mask: --help shows usage and examples', async (t) => {
  const r = mask(['--help']);
  t.equal(r.status, 0);
  t.match(r.stdout.toString(), /Usage: keyward mask/);
  t.match(r.stdout.toString(), /Examples:/);
});
