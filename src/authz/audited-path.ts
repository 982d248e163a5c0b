import { redactedPath } from '../policy/request-path.js';
import type { Runtime } from '../config/compile.js';
import { maskRequestPath } from '../mask/request-path.js';
import type { CheckDocument } from './types.js';

/**
 * The path as logs and audit rows show it: key parameters and /v1/input/<KEY> redacted in place,
 * then every path segment and query part masked like a body — after percent-decoding, since
 * `?q=AKIA%51…` is the same secret to Datadog. Computed once per Check.
 */
export function auditedPath(doc: CheckDocument, runtime: Runtime | undefined): string {
  if (doc.auditedPath !== undefined) return doc.auditedPath;
  const redacted = redactedPath(doc.input.path);
  const masked = runtime ? maskRequestPath(redacted, (text) => runtime.masker.maskText(text)) : redacted;
  doc.auditedPath = masked;
  return masked;
}
