import { createHash } from 'node:crypto';
import { KeywardError } from '../errors.js';
import type { FindingSummary } from './types.js';
import type { BodyCodec } from './codecs.js';
import type { BodyKind, JsonDocumentReader, Masker, MaskRoute } from './types.js';

export interface MaskedBody {
  /** Bytes to forward: re-encoded with the body's own encoding. */
  readonly wire: Buffer;
  /** The masked, decoded text kept in the audit row. */
  readonly maskedText: string;
  readonly findings: readonly FindingSummary[];
  readonly changed: boolean;
  readonly rawSha256: string;
  /** How the decoded body was read (json, ndjson, text, binary). */
  readonly kind: BodyKind;
  /** The content codings that were undone (and redone on the way out). */
  readonly codings: readonly string[];
  /** Length of the decoded body. */
  readonly decodedBytes: number;
}

/** Literal values that must never pass, whatever the detectors think (the connection's own keys). */
export function scrubLiterals(text: string, literals: readonly string[]): { text: string; count: number } {
  let count = 0;
  let out = text;
  for (const literal of literals) {
    if (literal.length < 8 || !out.includes(literal)) continue;
    const parts = out.split(literal);
    count += parts.length - 1;
    out = parts.join('[REDACTED:datadog_key]');
  }
  return { text: out, count };
}

export function sha256Hex(buf: Buffer): string {
  return createHash('sha256').update(buf).digest('hex');
}

/**
 * decode → mask → re-encode. Refusals (bad encoding, bomb, invalid JSON) are KeywardErrors the
 * processor turns into an immediate 4xx; nothing half-masked is ever returned.
 */
export interface MaskBodyDeps {
  readonly masker: Masker;
  readonly codec: BodyCodec;
  readonly literals: readonly string[];
  /** The call the body belongs to: its functional fields keep notification handles (src/mask/functional-fields.ts). */
  readonly route?: MaskRoute;
  /** `mask`: the audit copy masks those handles all the same (masking.functional_fields.audit). */
  readonly auditHandles?: 'keep' | 'mask';
  /** Reads the decoded body from the masking pass's walk (Masker.maskBody's `reader`). */
  readonly reader?: JsonDocumentReader | undefined;
}

export async function maskBody(raw: Buffer, contentType: string | undefined, encoding: string | undefined, deps: MaskBodyDeps): Promise<MaskedBody> {
  const rawSha256 = sha256Hex(raw);
  const decoded = await deps.codec.decode(raw, encoding);
  const result = deps.masker.maskBody(decoded.body, contentType, deps.route, deps.reader);
  if (result.kind === 'binary' && result.findings.length > 0) throw new KeywardError('body_encoding_unsupported', 'binary body with findings');
  const scrubbed = scrubLiterals(result.body.toString('utf8'), deps.literals);
  const findings = scrubbed.count > 0 ? [...result.findings, { type: 'datadog_key', count: scrubbed.count, locations: [] }] : result.findings;
  const changed = result.changed || scrubbed.count > 0;
  const maskedBytes = scrubbed.count > 0 ? Buffer.from(scrubbed.text, 'utf8') : result.body;
  const auditText = deps.route !== undefined && deps.auditHandles === 'mask' ? scrubLiterals(deps.masker.maskBody(decoded.body, contentType).body.toString('utf8'), deps.literals).text : maskedBytes.toString('utf8');
  return {
    wire: changed ? await deps.codec.encode(maskedBytes, decoded.codings) : raw,
    maskedText: result.kind === 'binary' ? `[binary body, ${decoded.body.length} bytes]` : auditText,
    findings,
    changed,
    rawSha256,
    kind: result.kind,
    codings: decoded.codings,
    decodedBytes: decoded.body.length,
  };
}
