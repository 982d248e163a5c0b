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

// `keyward mask` goes through ext_proc's own code path (src/mask/body.ts): encoding from the flag as
// from the header, binary bodies with secrets refused, a config's masking applied whole.

t.test('cli mask: the encoding comes from --content-encoding as the gate takes it from the header, never from the bytes', async (t) => {
  const gz = zlib.gzipSync(payload);
  const r = mask(['-', '--findings'], gz);
  t.equal(r.status, 0, 'no content-encoding: read as the bytes they are (binary, nothing found)');
  t.same(r.stdout, gz, 'forwarded unchanged, as the gate would');
  t.match(JSON.parse(r.stderr), { kind: 'binary', content_encoding: 'identity', changed: false });
});

t.test('cli mask: a multipart body holding a secret is refused as the gate refuses it', async (t) => {
  const body = Buffer.from('--b\r\nContent-Disposition: form-data; name="f"\r\n\r\naws AKIAIOSFODNN7EXAMPLE\r\n--b--\r\n');
  const r = mask(['-', '--content-type', 'multipart/form-data; boundary=b'], body);
  t.equal(r.status, 2);
  t.match(r.stderr, /^error body_encoding_unsupported: /);
  t.equal(r.stdout.length, 0, 'nothing printed');
});

t.test('cli mask --config: that config\'s masking, through the gate\'s code path', async (t) => {
  const config = join(dir, 'keyward.yaml');
  writeFileSync(
    config,
    [
      'identity: { issuers: [{ issuer: "https://issuer.example", audiences: [keyward] }] }',
      'connections: [{ name: prod, site: datadoghq.com, api_key: "${env:MASK_DD_API}", groups: [agents] }]',
      'masking:',
      '  style: hmac',
      '  hmac_key: "${env:MASK_HMAC}"',
      '  custom_patterns: [{ name: employee_id, pattern: "EMP-[0-9]{6}", keywords: ["emp-"] }]',
      '  allow_paths: ["$.meta"]',
      '',
    ].join('\n'),
  );
  const env = { MASK_DD_API: 'abcdefabcdefabcdefabcdefabcdef12', MASK_HMAC: 'h'.repeat(32) };
  const monitor = JSON.stringify({ message: 'CPU @jane@example.com EMP-123456', meta: { owner: 'o@example.com' }, note: 'key abcdefabcdefabcdefabcdefabcdef12', tags: ['a@example.com'] });
  const file = join(dir, 'monitor.json');
  writeFileSync(file, monitor);
  const r = mask(['--config', config, '--method', 'POST', '--path', '/api/v1/monitor', file], undefined, env);
  t.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.toString()) as { message: string; meta: { owner: string }; note: string; tags: string[] };
  t.match(out.message, /^CPU @jane@example\.com \[REDACTED:employee_id:[0-9a-f]{8}\]$/, 'functional handle kept, custom pattern in the hmac style');
  t.equal(out.meta.owner, 'o@example.com', 'allow path');
  t.equal(out.note, 'key [REDACTED:datadog_key]', "the connection's own key is scrubbed as ext_proc scrubs it");
  t.match(out.tags[0], /^\[REDACTED:email:[0-9a-f]{8}\]$/);
  const unscoped = mask(['--config', config, file], undefined, env);
  t.notMatch(unscoped.stdout.toString(), /jane@example\.com/, 'without --method/--path no functional field applies');
  const broken = mask(['--config', join(dir, 'missing.yaml'), file]);
  t.equal(broken.status, 2);
  t.match(broken.stderr, /^error config_invalid: /);
});

