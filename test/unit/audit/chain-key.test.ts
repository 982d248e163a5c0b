import { createHmac, randomBytes } from 'node:crypto';
import t from 'tap';
import { rowMac } from '../../../src/audit/chain-key.js';

const reference = (key: string, id: string, hash: string) => createHmac('sha256', key).update(`row\n${id}\n${hash}`).digest('hex');

t.test('audit row MAC: the one-shot HMAC over padded-key buffers is byte-identical to createHmac for every key length', async (t) => {
  const keys = [
    'k', // shorter than a block
    randomBytes(32).toString('hex'), // 64 bytes: exactly one block, as keyward generates
    randomBytes(33).toString('hex'), // 66 bytes: longer than a block, hashed first
    'clé-ünïcødé-🔑', // a string key is its UTF-8 bytes
    '',
  ];
  for (const key of keys) {
    const k = { id: `id-${key.length}`, key };
    for (const hash of ['0'.repeat(64), randomBytes(32).toString('hex'), '']) {
      // twice: the cached pad states must not be consumed by the first message
      t.equal(rowMac(k, hash), reference(key, k.id, hash), `key of ${key.length} chars`);
      t.equal(rowMac(k, hash), reference(key, k.id, hash), `key of ${key.length} chars, again`);
    }
  }
  // A key id longer than the scratch buffer, and one of multi-byte characters, grow it.
  for (const id of ['i'.repeat(1_000), '🔑ключ'.repeat(100)]) {
    const k = { id, key: 'grow' };
    t.equal(rowMac(k, 'ab'.repeat(32)), reference('grow', id, 'ab'.repeat(32)), `key id of ${id.length} units`);
    t.equal(rowMac(k, 'h'), reference('grow', id, 'h'), 'then a short message under the grown buffer');
  }
  const a = { id: 'same', key: 'one' };
  const b = { id: 'same', key: 'two' };
  t.not(rowMac(a, 'h'), rowMac(b, 'h'), 'two keys under one id never share a pad state');
});
