import zlib from 'node:zlib';
import t from 'tap';
import { createBodyCodec, RATIO_FLOOR_BYTES } from '../../../src/mask/index.js';
import { zstdEncode, zstdLargestWindow } from '../../../src/mask/zstd.js';

const MiB = 1024 * 1024;
const codec = createBodyCodec({ maxBodyBytes: 5 * MiB, maxRatio: 100 });
const body = Buffer.from(JSON.stringify({ series: Array.from({ length: 200 }, (_, i) => ({ metric: 'm', points: [[1714566896 + i, i * 1.5]] })) }));

for (const enc of ['gzip', 'x-gzip', 'deflate', 'br', 'zstd', 'identity', 'gzip, zstd']) {
  t.test(`codecs: ${enc} round-trips`, async (t) => {
    const first = await codec.decode(Buffer.from('{}'), undefined);
    t.same(first.codings, [], 'no content-encoding is identity');
    const codings = enc === 'identity' ? [] : enc.split(', ').map((e) => (e === 'x-gzip' ? 'gzip' : e));
    const encoded = await codec.encode(body, codings as ('gzip' | 'deflate' | 'br' | 'zstd')[]);
    const decoded = await codec.decode(encoded, enc);
    t.ok(decoded.body.equals(body), 'decoded bytes equal the original');
    t.same(decoded.codings, codings, 'codings reported in header order');
    t.ok((await codec.encode(decoded.body, decoded.codings)).length > 0);
  });
}

t.test('codecs: raw deflate (no zlib header) is read and written back raw', async (t) => {
  const decoded = await codec.decode(zlib.deflateRawSync(body), 'deflate');
  t.ok(decoded.body.equals(body));
  t.same(decoded.codings, ['deflate-raw']);
  t.ok(zlib.inflateRawSync(await codec.encode(body, decoded.codings)).equals(body));
});

t.test('codecs: zip bombs are stopped at the limit, not after inflating everything', async (t) => {
  const zeros = Buffer.alloc(64 * MiB);
  for (const [enc, bomb] of [
    ['gzip', zlib.gzipSync(zeros)],
    ['deflate', zlib.deflateSync(zeros)],
    ['br', zlib.brotliCompressSync(zeros)],
    ['zstd', await zstdEncode(zeros)],
  ] as const) {
    const err = await codec.decode(bomb, enc).then(
      () => undefined,
      (e: unknown) => e as { code?: string },
    );
    t.ok(err?.code === 'body_ratio_exceeded' || err?.code === 'body_too_large', `${enc} bomb (${bomb.length} bytes) refused: ${err?.code}`);
  }
});

t.test('codecs: ratio and size limits are told apart', async (t) => {
  const tight = createBodyCodec({ maxBodyBytes: 5 * MiB, maxRatio: 2 });
  const repetitive = zlib.gzipSync(Buffer.alloc(RATIO_FLOOR_BYTES * 2, 'a'));
  await t.rejects(tight.decode(repetitive, 'gzip'), { code: 'body_ratio_exceeded' });
  const small = createBodyCodec({ maxBodyBytes: 1000, maxRatio: 100 });
  await t.rejects(small.decode(zlib.gzipSync(Buffer.alloc(2000, 'a')), 'gzip'), { code: 'body_too_large' });
  await t.rejects(small.decode(Buffer.alloc(2000), undefined), { code: 'body_too_large' }, 'identity bodies too');
  await t.resolves(codec.decode(zlib.gzipSync(Buffer.alloc(512 * 1024)), 'gzip'), 'small very compressible bodies pass under the ratio floor');
});

t.test('codecs: truncated and corrupt bodies are body_encoding_invalid', async (t) => {
  const gz = zlib.gzipSync(body);
  await t.rejects(codec.decode(gz.subarray(0, gz.length - 12), 'gzip'), { code: 'body_encoding_invalid' }, 'truncated gzip');
  await t.rejects(codec.decode(Buffer.from('not gzip at all'), 'gzip'), { code: 'body_encoding_invalid' }, 'not gzip');
  await t.rejects(codec.decode(Buffer.from('not deflate'), 'deflate'), { code: 'body_encoding_invalid' });
  await t.rejects(codec.decode(Buffer.from('not brotli, no'), 'br'), { code: 'body_encoding_invalid' });
  const zs = await zstdEncode(body);
  await t.rejects(codec.decode(zs.subarray(0, zs.length - 7), 'zstd'), { code: 'body_encoding_invalid' }, 'truncated zstd');
  await t.rejects(codec.decode(Buffer.from('garbage-garbage'), 'zstd'), { code: 'body_encoding_invalid' }, 'not zstd');
});

t.test('codecs: a zstd header asking for a huge window is refused before any allocation', async (t) => {
  // Magic, frame header: no single segment, window descriptor 2^41, then a last raw block of 0 bytes.
  const frame = Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0xf8, 0x01, 0x00, 0x00]);
  t.equal(zstdLargestWindow(frame), 2 ** 41);
  await t.rejects(codec.decode(frame, 'zstd'), { code: 'body_ratio_exceeded' });
});

t.test('codecs: unknown encodings are body_encoding_unsupported', async (t) => {
  await t.rejects(codec.decode(body, 'compress'), { code: 'body_encoding_unsupported' });
  await t.rejects(codec.decode(body, 'gzip, lzma'), { code: 'body_encoding_unsupported' });
});

t.test('codecs: bytes after the end of a compressed stream are refused (another decoder could read them)', async (t) => {
  const clean = zlib.gzipSync('{"message":"clean"}');
  const hidden = zlib.gzipSync('{"message":"AKIAIOSFODNN7EXAMPLE"}');
  // gzip: zero padding then a second member, which zlib silently ignores.
  await t.rejects(codec.decode(Buffer.concat([clean, Buffer.from([0]), hidden]), 'gzip'), { code: 'body_encoding_invalid', detail: /after the end/ });
  await t.rejects(codec.decode(Buffer.concat([zlib.deflateSync('{}'), Buffer.from('junk')]), 'deflate'), { code: 'body_encoding_invalid' });
  await t.rejects(codec.decode(Buffer.concat([zlib.brotliCompressSync('{}'), Buffer.from('junk')]), 'br'), { code: 'body_encoding_invalid' });
  // Two plain gzip members are one body (RFC 1952): both are decoded, so both get masked.
  const both = await codec.decode(Buffer.concat([clean, hidden]), 'gzip');
  t.equal(both.body.toString(), '{"message":"clean"}{"message":"AKIAIOSFODNN7EXAMPLE"}');
});
