/** The masking engine: pure detectors and walkers (masker) and content-encoding codecs. */
export { createMasker, type MaskerOptions } from './masker.js';
export type { Masker, MaskResult, MaskRoute, TextMaskResult, Redaction, BodyKind, MaskStyle } from './types.js';
export { bodyKind } from './content-type.js';
export { unsafePatternReason } from './detectors/index.js';
export { createBodyCodec, parseContentEncoding, RATIO_FLOOR_BYTES, type BodyCodec, type CodecLimits, type DecodedBody, type ContentCoding, type AppliedCoding } from './codecs.js';
