import type { FindingSummary } from '../audit/events.js';
import type { CodecLimits } from '../mask/codecs.js';
import type { MaskerOptions } from '../mask/masker.js';
import type { ErrorCode } from '../errors.js';
import type { MaskedBody } from '../mask/body.js';
import type { WalkedSubmission } from '../budgets/series-walk.js';

/** What the main thread sends a masking worker: plain, structured-clonable data. */
export interface MaskTask {
  readonly options: MaskerOptions;
  readonly limits: CodecLimits;
  readonly raw: Uint8Array;
  readonly contentType: string | undefined;
  readonly encoding: string | undefined;
  readonly literals: readonly string[];
  /** The call, so functional fields (notification handles) are kept as inline masking keeps them. */
  readonly route?: { readonly method: string; readonly path: string } | undefined;
  readonly auditHandles?: 'keep' | 'mask' | undefined;
  /** Read the series of a metric submission from the masking pass (src/budgets/series-walk.ts). */
  readonly readSeries?: boolean | undefined;
}

/** A worker's answer: the masked body, or the stable code of a refusal (never a library message). */
export type MaskTaskResult =
  | { readonly ok: true; readonly wire: Uint8Array; readonly maskedText: string; readonly maskedJson: Uint8Array; readonly findings: readonly FindingSummary[]; readonly changed: boolean; readonly rawSha256: string; readonly kind: MaskedBody['kind']; readonly codings: readonly string[]; readonly decodedBytes: number; readonly series?: WalkedSubmission | null | undefined }
  | { readonly ok: false; readonly code: ErrorCode };
