import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { KeywardError } from '../errors.js';
import { zstdDecode, zstdEncode } from './zstd.js';

/** A content-coding keyward can undo and redo. `deflate-raw` is `deflate` as some clients send it (no zlib header). */
export type ContentCoding = 'gzip' | 'deflate' | 'br' | 'zstd';
export type AppliedCoding = ContentCoding | 'deflate-raw';

export interface CodecLimits {
  /** Largest decoded body (default 5 MiB, Datadog's own limit). */
  readonly maxBodyBytes: number;
  /** Largest decoded/encoded size ratio (zip-bomb guard); bodies decoding to under 1 MiB are exempt. */
  readonly maxRatio: number;
}

export interface DecodedBody {
  readonly body: Buffer;
  /** Codings in the order the sender applied them (the header's order); empty for identity. */
  readonly codings: readonly AppliedCoding[];
}

export interface BodyCodec {
  /** Throws KeywardError body_encoding_unsupported | body_encoding_invalid | body_too_large | body_ratio_exceeded. */
  decode(raw: Buffer, contentEncoding: string | undefined): Promise<DecodedBody>;
  /** Re-applies `codings` (from `decode`) to a (masked) body. */
  encode(plain: Buffer, codings: readonly AppliedCoding[]): Promise<Buffer>;
}

/** Below this decoded size the ratio guard does not apply: tiny repetitive bodies compress very well. */
export const RATIO_FLOOR_BYTES = 1024 * 1024;
/** zstd windows up to this size (or twice the body limit) are accepted: what real encoders use for 5 MiB. */
const MIN_ZSTD_WINDOW = 8 * 1024 * 1024;

/** `zstd1` is what Datadog's API and its official clients call zstd (v2 series); the header is forwarded as sent. */
const ALIASES: Record<string, ContentCoding | 'identity'> = { gzip: 'gzip', 'x-gzip': 'gzip', deflate: 'deflate', br: 'br', zstd: 'zstd', zstd1: 'zstd', identity: 'identity' };

/** `gzip, zstd` → ['gzip', 'zstd']; identity dropped. Throws body_encoding_unsupported. */
export function parseContentEncoding(header: string | undefined): ContentCoding[] {
  if (header === undefined) return [];
  const out: ContentCoding[] = [];
  for (const token of header.split(',')) {
    const name = token.trim().toLowerCase();
    if (name === '') continue;
    const coding = ALIASES[name];
    if (coding === undefined) throw new KeywardError('body_encoding_unsupported', `content-encoding ${JSON.stringify(name.slice(0, 32))}`);
    if (coding !== 'identity') out.push(coding);
  }
  return out;
}

const gunzip = promisify(zlib.gunzip);
const inflate = promisify(zlib.inflate);
const inflateRaw = promisify(zlib.inflateRaw);
const brotliDecompress = promisify(zlib.brotliDecompress);
const gzip = promisify(zlib.gzip);
const deflate = promisify(zlib.deflate);
const deflateRaw = promisify(zlib.deflateRaw);
const brotliCompress = promisify(zlib.brotliCompress);

/** RFC 1950 header: CM 8, and the 16-bit header a multiple of 31. */
function hasZlibHeader(b: Buffer): boolean {
  return b.length >= 2 && (b[0]! & 0x0f) === 8 && ((b[0]! << 8) | b[1]!) % 31 === 0;
}

export function createBodyCodec(limits: CodecLimits): BodyCodec {
  const { maxBodyBytes, maxRatio } = limits;

  const decodeOne = async (coding: ContentCoding, input: Buffer, rawSize: number): Promise<{ out: Buffer; applied: AppliedCoding }> => {
    const ratioLimit = Math.max(RATIO_FLOOR_BYTES, Math.floor(rawSize * maxRatio));
    const limit = Math.min(maxBodyBytes, ratioLimit);
    const limitError = (): KeywardError =>
      limit < maxBodyBytes ? new KeywardError('body_ratio_exceeded', `${coding} beyond ratio ${maxRatio}`) : new KeywardError('body_too_large', `${coding} beyond ${maxBodyBytes} bytes`);
    if (coding === 'zstd') return { out: zstdDecode(input, limit, Math.max(MIN_ZSTD_WINDOW, 2 * maxBodyBytes), limitError), applied: 'zstd' };
    // `info` reports how much input the decoder used: zlib stops at bytes after a stream it does not
    // take for another member (zero padding, then a second gzip member). Those bytes would reach
    // Datadog unmasked whenever nothing in the decoded part needed masking (the raw body is
    // forwarded then), and another decoder may read them: refused.
    const options = { maxOutputLength: limit, info: true } as const;
    let decoded: { buffer: Buffer; engine: { bytesWritten: number } };
    let applied: AppliedCoding;
    try {
      const run = (fn: (b: Buffer, o: typeof options) => Promise<unknown>) => fn(input, options) as Promise<typeof decoded>;
      if (coding === 'gzip') [decoded, applied] = [await run(gunzip), 'gzip'];
      else if (coding === 'br') [decoded, applied] = [await run(brotliDecompress), 'br'];
      else if (hasZlibHeader(input)) [decoded, applied] = [await run(inflate), 'deflate'];
      else [decoded, applied] = [await run(inflateRaw), 'deflate-raw'];
    } catch (e) {
      if ((e as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') throw limitError();
      throw new KeywardError('body_encoding_invalid', `${coding}: corrupt or truncated data`);
    }
    if (decoded.engine.bytesWritten !== input.length) throw new KeywardError('body_encoding_invalid', `${coding}: data after the end of the compressed stream`);
    return { out: decoded.buffer, applied };
  };

  return {
    async decode(raw, contentEncoding) {
      const codings = parseContentEncoding(contentEncoding);
      if (codings.length === 0 && raw.length > maxBodyBytes) throw new KeywardError('body_too_large', `${raw.length} bytes`);
      let body = raw;
      const applied: AppliedCoding[] = [];
      // The last coding in the header was applied last: undo it first.
      for (let i = codings.length - 1; i >= 0; i--) {
        const r = await decodeOne(codings[i]!, body, raw.length);
        body = r.out;
        applied.unshift(r.applied);
      }
      return { body, codings: applied };
    },
    async encode(plain, codings) {
      let body = plain;
      for (const coding of codings) {
        if (coding === 'gzip') body = await gzip(body);
        else if (coding === 'deflate') body = await deflate(body);
        else if (coding === 'deflate-raw') body = await deflateRaw(body);
        else if (coding === 'br') body = await brotliCompress(body, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 5 } });
        else body = await zstdEncode(body);
      }
      return body;
    },
  };
}
