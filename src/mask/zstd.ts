import { Decompress } from 'fzstd';
import { KeywardError } from '../errors.js';

/**
 * zstd for content-encoding. Decoding uses fzstd (pure JS, streaming: output arrives block by block,
 * at most 128 KiB at a time, so a bomb is stopped at the limit). Encoding uses the zstd C library
 * compiled to WASM (@hpcc-js/wasm-zstd, embedded in the package, loaded once on first use).
 */

const ZSTD_MAGIC = 0xfd2fb528;
const BLOCK_TYPE_RESERVED = 3;
const FCS_BYTES = [0, 2, 4, 8] as const;
const DICT_BYTES = [0, 1, 2, 4] as const;

const invalid = (detail: string): KeywardError => new KeywardError('body_encoding_invalid', `zstd: ${detail}`);

function readLE(buf: Uint8Array, p: number, n: number): number {
  let v = 0;
  for (let i = n - 1; i >= 0; i--) v = v * 256 + buf[p + i]!;
  return v;
}

/**
 * Walks frame and block headers (no decoding) and returns the largest window any frame asks for.
 * fzstd allocates the window up front, so a header claiming gigabytes must be refused before decoding.
 */
export function zstdLargestWindow(buf: Uint8Array): number {
  let p = 0;
  let largest = 0;
  if (buf.length === 0) throw invalid('empty body');
  while (p < buf.length) {
    if (p + 8 > buf.length) throw invalid('truncated frame header');
    const magic = readLE(buf, p, 4);
    // A skippable frame is never decoded, so never masked, yet a receiver's own reader may use it:
    // whatever it carries would pass unread. No encoder of a request body needs one.
    if ((magic & 0xfffffff0) >>> 0 === 0x184d2a50) throw new KeywardError('body_encoding_unsupported', 'zstd: skippable frames are not accepted');
    if (magic !== ZSTD_MAGIC) throw invalid('bad magic number');
    const fhd = buf[p + 4]!;
    if (fhd & 0x08) throw invalid('reserved bit set');
    const single = (fhd >> 5) & 1;
    const fcsFlag = fhd >> 6;
    let q = p + 5;
    let window = 0;
    if (!single) {
      const wd = buf[q++]!;
      const base = 2 ** (10 + (wd >> 3));
      window = base + (base / 8) * (wd & 7);
    }
    q += DICT_BYTES[fhd & 3]!;
    const fcsBytes = fcsFlag === 0 ? single : FCS_BYTES[fcsFlag]!;
    if (single) window = readLE(buf, q, fcsBytes) + (fcsFlag === 1 ? 256 : 0);
    q += fcsBytes;
    largest = Math.max(largest, window);
    for (;;) {
      if (q + 3 > buf.length) throw invalid('truncated block header');
      const bh = readLE(buf, q, 3);
      const type = (bh >> 1) & 3;
      if (type === BLOCK_TYPE_RESERVED) throw invalid('reserved block type');
      q += 3 + (type === 1 ? 1 : bh >>> 3);
      if (bh & 1) break;
    }
    if ((fhd >> 2) & 1) q += 4;
    if (q > buf.length) throw invalid('truncated frame');
    p = q;
  }
  return largest;
}

class OutputLimit extends Error {}

/** Decodes `raw`, refusing (`limitError`) as soon as the output passes `limit` bytes. */
export function zstdDecode(raw: Buffer, limit: number, maxWindow: number, limitError: () => KeywardError): Buffer {
  if (zstdLargestWindow(raw) > maxWindow) throw limitError();
  const chunks: Uint8Array[] = [];
  let total = 0;
  const d = new Decompress((chunk) => {
    total += chunk.length;
    if (total > limit) throw new OutputLimit();
    // fzstd reuses no buffer it hands out, but copy anyway: the window buffer may be a view.
    if (chunk.length > 0) chunks.push(Buffer.from(chunk));
  });
  const STEP = 64 * 1024;
  try {
    for (let p = 0; p < raw.length; p += STEP) d.push(raw.subarray(p, Math.min(raw.length, p + STEP)), p + STEP >= raw.length);
  } catch (e) {
    if (e instanceof OutputLimit) throw limitError();
    throw invalid('corrupt or truncated data');
  }
  return Buffer.concat(chunks, total);
}

interface ZstdEncoder {
  compress(data: Uint8Array, level?: number): Uint8Array;
}

let encoder: Promise<ZstdEncoder> | undefined;

/** Encodes at level 3 (zstd's default: fast, and what the Datadog agent uses). */
export async function zstdEncode(plain: Buffer): Promise<Buffer> {
  encoder ??= import('@hpcc-js/wasm-zstd').then((m) => m.Zstd.load());
  const z = await encoder;
  return Buffer.from(z.compress(plain, 3));
}
