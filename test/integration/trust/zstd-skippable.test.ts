import t from 'tap';
import { zstdEncode } from '../../../src/mask/zstd.js';
import { KEYS, baseConfig } from '../../helpers/gate.js';
import { startStack, type Stack } from '../../helpers/stack.js';

const AWS = 'AKIAIOSFODNN7EXAMPLE';
let s: Stack;
t.before(async () => {
  s = await startStack((issuer) => baseConfig([{ issuer }]));
});
t.teardown(() => s.stop());

/** A zstd skippable frame (magic 0x184D2A5?, little-endian size, then bytes no decoder reads). */
function skippable(payload: string, nibble = 0): Buffer {
  const data = Buffer.from(payload);
  const head = Buffer.alloc(8);
  head.writeUInt32LE(0x184d2a50 + nibble, 0);
  head.writeUInt32LE(data.length, 4);
  return Buffer.concat([head, data]);
}

t.test('trust: a zstd body with a skippable frame carrying a secret → 415 body_encoding_unsupported, nothing forwarded', async (t) => {
  const series = JSON.stringify({ series: [{ metric: 'a.b', type: 0, points: [{ timestamp: 1700000000, value: 1 }] }] });
  const real = await zstdEncode(Buffer.from(series));
  for (const [name, body] of [
    ['before the data frame', Buffer.concat([skippable(`{"aws":"${AWS}"}`), real])],
    ['after the data frame', Buffer.concat([real, skippable(`aws_secret ${AWS}`, 0xf)])],
    ['alone', skippable(AWS)],
  ] as const) {
    const before = s.datadog.received.length;
    const res = await fetch(`${s.door.url}/api/v2/series`, { method: 'POST', headers: { authorization: await s.bearer('agent-1', ['agents']), 'content-type': 'application/json', 'content-encoding': 'zstd' }, body });
    const text = await res.text();
    t.equal(res.status, 415, `${name}: refused`);
    t.equal((JSON.parse(text) as { error: { code: string } }).error.code, 'body_encoding_unsupported');
    t.equal(s.datadog.received.length, before, `${name}: nothing reached Datadog`);
    t.notOk(text.includes(AWS) || Object.values(KEYS).some((k) => text.includes(k)), 'no secret and no key in the answer');
    t.notOk(s.tg.logs().some((l) => l.includes(AWS)), 'the secret is not logged');
  }
  const plain = await fetch(`${s.door.url}/api/v2/series`, { method: 'POST', headers: { authorization: await s.bearer('agent-1', ['agents']), 'content-type': 'application/json', 'content-encoding': 'zstd' }, body: real });
  t.equal(plain.status, 202, 'a plain zstd body still passes');
});
