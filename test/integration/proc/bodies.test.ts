import { gzipSync, deflateSync } from 'node:zlib';
import t from 'tap';
import { KEYS, baseConfig } from '../../helpers/gate.js';
import { startStack, type Stack } from '../../helpers/stack.js';

let s: Stack;
t.before(async () => {
  s = await startStack((issuer) => baseConfig([{ issuer }]));
});
t.teardown(() => s.stop());

const AWS = 'AKIAIOSFODNN7EXAMPLE';
const SLACK = 'xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx';
// Written as text: a 64-bit integer must survive byte for byte (JSON.stringify could not even write it).
const logs = `[{"message":"deploy failed, aws key ${AWS} and slack ${SLACK}","ddsource":"agent","service":"web","trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","count":9007199254740993},
 {"message":"user jane.doe@example.com logged in from 10.1.2.3","service":"auth"}]`;

const post = async (path: string, body: Buffer | string, headers: Record<string, string> = {}) =>
  fetch(`${s.door.url}${path}`, { method: 'POST', headers: { authorization: await s.bearer('agent-1', ['agents']), 'content-type': 'application/json', ...headers }, body });

t.test('bodies: secrets in logs are masked before Datadog and before the audit row; the rest is byte-identical', async (t) => {
  const before = s.datadog.received.length;
  const res = await post('/api/v2/logs', logs);
  t.equal(res.status, 202);
  const got = s.datadog.received[before]!;
  t.notOk(got.text.includes(AWS), 'AWS key masked');
  t.notOk(got.text.includes(SLACK), 'Slack token masked');
  t.notOk(got.text.includes('jane.doe@example.com'), 'email masked');
  t.match(got.text, /\[REDACTED:[a-z_]+\]/);
  t.ok(got.text.includes('9007199254740993'), '64-bit integer exact');
  t.ok(got.text.includes('4bf92f3577b34da6a3ce929d0e0e4736'), 'trace id untouched');
  t.equal(Number(got.headers['content-length']), got.raw.length, 'content-length matches the masked body');
  JSON.parse(got.text);
  const id = res.headers.get('x-keyward-request-id');
  const row = s.tg.audit.events.find((e) => e.kind === 'payload' && e.request_id === id);
  t.ok(row, 'payload row recorded');
  if (row?.kind === 'payload') {
    t.equal(row.masked_body, got.text, 'the audit row holds exactly what was forwarded');
    t.ok(row.findings.length >= 3);
    t.notOk(JSON.stringify(row).includes(AWS));
  }
});

for (const [name, encode] of [['gzip', gzipSync], ['deflate', deflateSync]] as const) {
  t.test(`bodies: ${name} bodies are decoded, masked and re-encoded with the same encoding`, async (t) => {
    const before = s.datadog.received.length;
    const res = await post('/api/v2/logs', encode(Buffer.from(logs)), { 'content-encoding': name });
    t.equal(res.status, 202);
    const got = s.datadog.received[before]!;
    t.equal(got.headers['content-encoding'], name);
    t.notOk(got.text.includes(AWS));
    t.ok(got.text.includes('"service":"web"'));
    t.equal(Number(got.headers['content-length']), got.raw.length);
  });
}

const refusals: [string, () => Buffer, Record<string, string>, number, string][] = [
  ['zip bomb', () => gzipSync(Buffer.alloc(64 * 1024 * 1024, 0x20)), { 'content-encoding': 'gzip' }, 413, 'body_too_large'],
  ['truncated gzip', () => gzipSync(Buffer.from(logs)).subarray(0, 30), { 'content-encoding': 'gzip' }, 400, 'body_encoding_invalid'],
  ['unknown encoding', () => Buffer.from(logs), { 'content-encoding': 'x-lzma' }, 415, 'body_encoding_unsupported'],
  ['invalid JSON', () => Buffer.from(`{"message": "${AWS}", oops}`), {}, 400, 'body_json_invalid'],
  ['deeply nested JSON', () => Buffer.from('['.repeat(5000) + ']'.repeat(5000)), {}, 400, 'body_too_deep'],
];

for (const [name, body, headers, status, code] of refusals) {
  t.test(`bodies: ${name} → ${status} ${code}, nothing forwarded, refusal audited`, async (t) => {
    const before = s.datadog.received.length;
    const res = await post('/api/v2/logs', body(), headers);
    t.equal(res.status, status);
    const json = (await res.json()) as { error: { code: string; request_id: string } };
    t.equal(json.error.code, code);
    t.equal(s.datadog.received.length, before, 'Datadog received nothing');
    const row = s.tg.audit.events.find((e) => e.kind === 'payload' && e.request_id === json.error.request_id);
    t.match(row, { kind: 'payload', reason_code: code, masked_body: null });
  });
}

t.test('bodies: the gate keeps serving after every bad body', async (t) => {
  const res = await post('/api/v2/series', JSON.stringify({ series: [] }));
  t.equal(res.status, 202);
});

t.test('bodies: no configured key appears in any log line of this run', async (t) => {
  const all = s.tg.logs().join('\n');
  for (const key of Object.values(KEYS)) t.notOk(all.includes(key));
  t.notOk(all.includes(AWS));
});
