import t from 'tap';
import { createMasker } from '../../../src/mask/index.js';
import { unsafePatternReason } from '../../../src/mask/index.js';
import { maskerConfig } from './helpers.js';

const masker = createMasker(maskerConfig());
const body = (s: string): Buffer => Buffer.from(s);

t.test('masker: hmac style correlates equal secrets without revealing them', async (t) => {
  const hmac = createMasker(maskerConfig({ style: 'hmac', hmac_key: 'x'.repeat(32) }));
  const out = hmac.maskJson('["a@example.com","a@example.com","b@example.com"]').text;
  const tokens = JSON.parse(out) as string[];
  t.match(tokens[0], /^\[REDACTED:email:[0-9a-f]{8}\]$/);
  t.equal(tokens[0], tokens[1]);
  t.not(tokens[0], tokens[2]);
  const other = createMasker(maskerConfig({ style: 'hmac', hmac_key: 'y'.repeat(32) }));
  t.not(JSON.parse(other.maskJson('["a@example.com"]').text)[0], tokens[0], 'the key matters');
});

t.test('masker: allow_paths leave a subtree untouched', async (t) => {
  const m = createMasker(maskerConfig({ allow_paths: ['$.meta', '$.series[*].tags', '$..owner'] }));
  const src = '{"meta":{"contact":"a@example.com"},"series":[{"tags":["ip:10.1.2.3"],"host":"10.1.2.4"}],"x":{"y":{"owner":"o@example.com"}},"z":"z@example.com"}';
  t.equal(m.maskJson(src).text, '{"meta":{"contact":"a@example.com"},"series":[{"tags":["ip:10.1.2.3"],"host":"[REDACTED:ipv4]"}],"x":{"y":{"owner":"o@example.com"}},"z":"[REDACTED:email]"}');
  // A malformed allow path is a config error from the schema, with its path (never a TypeError later).
  t.throws(() => maskerConfig({ allow_paths: ['meta'] }), { message: /malformed allow path .*meta/ });
});

t.test('masker: custom patterns are named, keyword-gated, and refused when unsafe', async (t) => {
  const m = createMasker(maskerConfig({ custom_patterns: [{ name: 'employee_id', pattern: 'EMP-[0-9]{6}', keywords: ['emp-'] }] }));
  t.equal(m.maskText('badge EMP-123456 ok').text, 'badge [REDACTED:employee_id] ok');
  t.equal(unsafePatternReason('(a+)+$'), 'a repeated group may not contain a quantifier or an alternation (it can backtrack exponentially)');
  t.ok(unsafePatternReason('(a|aa)*'));
  t.ok(unsafePatternReason('(x)\\1'));
  t.equal(unsafePatternReason('EMP-[0-9]{6}(?:-[A-Z])?'), undefined);
  t.throws(() => maskerConfig({ custom_patterns: [{ name: 'bad', pattern: '(a*)*', keywords: [] }] }), { message: /repeated group/ }, 'refused by the schema, with its path');
});

t.test('masker: findings have type, count and locations, never the value', async (t) => {
  const r = masker.maskBody(body('{"users":[{"mail":"a@example.com"},{"mail":"b@example.com"}],"a b":{"c":"10.0.0.7"}}'), 'application/json');
  t.same(r.findings, [
    { type: 'email', count: 2, locations: ['$.users[0].mail', '$.users[1].mail'] },
    { type: 'ipv4', count: 1, locations: ['$["a b"].c'] },
  ]);
  const keyed = masker.maskJson('{"bob@example.com":{"age":"x"}}');
  t.same(keyed.findings, [{ type: 'email', count: 1, locations: ['$.*'] }], 'a redacted member name is not repeated in its path');
  const text = masker.maskBody(body('hello bob@example.com'), 'text/plain');
  t.same(text.findings, [{ type: 'email', count: 1, locations: ['@6'] }], 'text locations are byte offsets');
});

t.test('masker: escaped strings are decoded to scan and replaced at the right raw bytes', async (t) => {
  const src = '{"m":"caf\\u00e9 \\"x\\" https:\\/\\/hooks.slack.com\\/services\\/T0000AAAA\\/B0000BBBB\\/abcdefghijklmnopqrstuvwx done"}';
  t.equal(masker.maskJson(src).text, '{"m":"caf\\u00e9 \\"x\\" [REDACTED:slack_webhook] done"}');
});

t.test('masker: content types', async (t) => {
  const nd = masker.maskBody(body('{"a":"x@example.com"}\n{"b":"AKIAIOSFODNN7EXAMPLE"}\n'), 'application/x-ndjson');
  t.equal(nd.body.toString(), '{"a":"[REDACTED:email]"}\n{"b":"[REDACTED:aws_access_key_id]"}\n');
  t.same(nd.findings.map((f) => f.locations[0]), ['[1]$.b', '[0]$.a']);
  const bin = masker.maskBody(body('\x08\x01AKIAIOSFODNN7EXAMPLE'), 'application/x-protobuf');
  t.equal(bin.kind, 'binary');
  t.equal(bin.changed, false, 'binary bodies are never rewritten');
  t.equal(bin.findings[0]?.type, 'aws_access_key_id', 'but their findings are reported');
  t.equal(masker.maskBody(body('{"a":"x@example.com"}'), undefined).kind, 'json', 'sniffed');
  t.equal(masker.maskBody(body('{not json x@example.com'), undefined).kind, 'text', 'JSON-looking text falls back to text');
  t.throws(() => masker.maskBody(body('{"a":1,}'), 'application/json; charset=utf-8'), { code: 'body_json_invalid' });
  t.throws(() => masker.maskBody(body('{"a":"\x01"}'), 'application/json'), { code: 'body_json_invalid' }, 'raw control characters');
  const empty = Buffer.alloc(0);
  t.equal(masker.maskBody(empty, 'application/json').body, empty, 'an empty body is not an error');
  const clean = body('{"a":[1,2.5e3,-0,true,null,"x"]}');
  t.equal(masker.maskBody(clean, 'application/json').body, clean, 'unchanged bodies are returned as is');
});

const cases: [string, string, string | undefined][] = [
  ['datadog api key needs context', 'trace 0123456789abcdef0123456789abcdef', undefined],
  ['datadog api key in a header line', 'DD-API-KEY: 0123456789abcdef0123456789abcdef', 'datadog_api_key'],
  ['datadog api key in a legacy path', 'POST /v1/input/0123456789abcdef0123456789abcdef', 'datadog_api_key'],
  ['datadog app key with prefix', 'key ddapp_AbCdEfGhIjKlMnOpQrStUvWxYz012345', 'datadog_app_key'],
  ['git sha alone survives', 'commit 0123456789abcdef0123456789abcdef01234567', undefined],
  ['aws secret by name', 'aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'aws_secret_access_key'],
  ['jwt needs a JSON header', 'eyJub3QiOiJhIGp3dCJ9.eyJzdWIiOiJ4In0.c2ln', undefined],
  ['basic credentials', 'Authorization: Basic dXNlcjpwYXNzd29yZA==', 'authorization_header'],
  ['stripe secret key', 'sk_test_4eC39HqLyjWDarjtT1zdp7dc', 'stripe_key'],
  ['uuid survives', 'id 123e4567-e89b-12d3-a456-426614174000', undefined],
  ['epoch millis are not phones', 'at 1714566896123', undefined],
  ['luhn-invalid card survives', '4111 1111 1111 1112', undefined],
  ['ssn without context survives', 'order 123-45-6789', undefined],
  ['ipv6', 'from fe80::1ff:fe23:4567:890a', 'ipv6'],
  ['mac address survives', 'mac 00:1a:2b:3c:4d:5e', undefined],
];
for (const [name, text, type] of cases) {
  t.test(`detectors: ${name}`, async (t) => {
    t.same(masker.maskText(text).findings.map((f) => f.type), type ? [type] : []);
  });
}

t.test('masker: a name/value pair is judged by the name its sibling gives the value', async (t) => {
  const key = 'a1b2c3d4e5f60718293a4b5c6d7e8f91';
  const src = JSON.stringify({
    // Synthetics-test / webhook headers, either member order, escaped names included.
    headers: [
      { name: 'DD-API-KEY', value: key },
      { value: 'hunter2hunter2', key: 'password' },
      { name: 'Authoriz\u0061tion', value: 'Bearer abcdefghijklmnop' },
      { name: 'X-Trace', value: key },
    ],
    env: [{ name: 'DB_PASSWORD', value: 'correct horse battery' }],
    // A `name` member with a secret-ish word but no value sibling, and a value far from any name.
    other: { name: 'monkey', value: 'banana' },
  });
  const r = masker.maskJson(src);
  const out = JSON.parse(r.text) as { headers: { value: string }[]; env: { value: string }[]; other: { value: string } };
  t.same(
    out.headers.map((h) => h.value),
    ['[REDACTED:datadog_api_key]', '[REDACTED:password]', 'Bearer [REDACTED:authorization_header]', key],
    'the trace header value (32 hex, no key name) survives',
  );
  t.equal(out.env[0]!.value, '[REDACTED:password]');
  t.equal(out.other.value, 'banana', 'a name that names no secret changes nothing');
  t.match(r.findings, [{ type: 'authorization_header' }, { type: 'datadog_api_key', locations: ['$.headers[0].value'] }, { type: 'password' }]);
  t.notOk(JSON.stringify(r.findings).includes(key));
  // A member name spelled with escapes is the same name to Datadog.
  const escaped = masker.maskJson(`[{"n\\u0061me":"DD-API-KEY","valu\\u0065":"${key}"}]`);
  t.notOk(escaped.text.includes(key), 'escaped member names do not hide a pair');
  t.match(escaped.findings, [{ type: 'datadog_api_key' }]);
});

t.test('masker: a pair is found under every spelling of its value member, in a body without escapes', async (t) => {
  // The pair loop runs only when some string ends like a value member: each spelling must open it.
  for (const member of ['value', 'Value', 'VALUE', 'headerValue', 'header_value', 'val', 'Val', 'VAL', 'pattern', 'Pattern', 'PATTERN']) {
    const src = JSON.stringify({ config: { variables: [{ name: 'DB_PASSWORD', type: 'text', [member]: 'correct horse battery' }] } });
    t.notOk(src.includes('\\'), 'no escapes in the body');
    const out = JSON.parse(masker.maskJson(src).text) as { config: { variables: Record<string, string>[] } };
    t.equal(out.config.variables[0]![member], '[REDACTED:password]', member);
  }
});

t.test('masker: Datadog key-management responses — the key under a bare "key" member is masked', async (t) => {
  const api = '3f9ab2c4d5e6f708192a3b4c5d6e7f80';
  const app = '3f9ab2c4d5e6f708192a3b4c5d6e7f8091a2b3c4';
  const src = JSON.stringify({ data: { type: 'api_keys', attributes: { name: 'ci', key: api, last4: api.slice(-4) } }, included: [{ attributes: { key: app } }], cache: { key: 'user:42:profile' } });
  const out = JSON.parse(masker.maskJson(src).text) as { data: { attributes: { key: string; last4: string } }; included: { attributes: { key: string } }[]; cache: { key: string } };
  t.equal(out.data.attributes.key, '[REDACTED:datadog_api_key]');
  t.equal(out.included[0]!.attributes.key, '[REDACTED:datadog_app_key]');
  t.equal(out.cache.key, 'user:42:profile', 'a key that is not Datadog-shaped is left alone');
});

t.test('masker: NDJSON sent as text/plain (or untyped) is still read as JSON lines, escapes decoded', async (t) => {
  const ndjson = '{"message":"k \\u0041KIAIOSFODNN7EXAMPLE"}\n{"password":"hunter2hunter2"}\n';
  for (const contentType of ['text/plain', undefined]) {
    const r = masker.maskBody(body(ndjson), contentType);
    t.equal(r.kind, 'ndjson', `${contentType ?? 'no content type'}: read as NDJSON`);
    t.notOk(r.body.toString().includes('IOSFODNN7EXAMPLE'), 'the escaped AWS key is masked');
    t.match(r.body.toString(), /\[REDACTED:password\]/);
  }
});

t.test('masker: a JSON document inside a string is masked through its own escapes, at any depth up to 3', async (t) => {
  // Serialised JSON in a log message: Python's json.dumps (\u00e9), PHP's escaped slashes, \u0041.
  const cases: [string, string, string][] = [
    [String.raw`{"message":"{\"k\":\"\\u0041KIAIOSFODNN7EXAMPLF\"}"}`, 'aws_access_key_id', '$.message.k'],
    [String.raw`{"message":"{\"aws_secret_access_key\":\"wJalrXUtnFEMI\\/K7MDENG\\/bPxRfiCYEXAMPLEKEY\"}"}`, 'aws_secret_access_key', '$.message.aws_secret_access_key'],
    [String.raw`{"message":"{\"db\":{\"password\":\"S3cr\\u00e9t-pa55\"}}"}`, 'password', '$.message.db.password'],
    [String.raw`{"outer":"{\"inner\":\"{\\\"k\\\":\\\"\\\\u0041KIAIOSFODNN7EXAMPLE\\\"}\"}"}`, 'aws_access_key_id', '$.outer.inner.k'],
  ];
  for (const [src, type, location] of cases) {
    const r = masker.maskJson(src);
    t.match(r.findings, [{ type, locations: [location] }], `${type} found at ${location}`);
    t.notOk(/K7MDENG|IOSFODNN7|S3cr/.test(r.text), 'no part of the secret is left');
    t.doesNotThrow(() => JSON.parse(JSON.parse(r.text)[Object.keys(JSON.parse(r.text))[0]!]), 'both levels still parse');
  }
});

t.test('masker: a named value in text keeps its commas and semicolons; a list separator still ends it', async (t) => {
  t.equal(masker.maskText('password: Tr0ub4dor,3horse').text, 'password: [REDACTED:password]', 'no tail of the password is left');
  t.equal(masker.maskText('password=secretvalue1, user=bob').text, 'password=[REDACTED:password], user=bob');
  t.equal(masker.maskText('url?password=Sup3rS3cretValue&user=bob').text, 'url?password=[REDACTED:password]&user=bob', 'query strings end at &');
  t.equal(masker.maskText('Server=x;Password=Xk9#mP2$vL;Database=y').text, 'Server=x;Password=[REDACTED:password]', 'in a connection string the rest may go too: over-masking, never under');
});
