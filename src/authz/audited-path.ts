import { redactedPath } from '../policy/request-path.js';
import type { Runtime } from '../runtime.js';
import type { CheckDocument } from './types.js';

/**
 * The path as logs and audit rows show it: key parameters and /v1/input/<KEY> redacted, and the
 * query masked like a body (an agent may put any secret in `?q=`). Computed once per Check.
 */
export function auditedPath(doc: CheckDocument, runtime: Runtime | undefined): string {
  if (doc.auditedPath !== undefined) return doc.auditedPath;
  const redacted = redactedPath(doc.input.path);
  const masked = runtime && redacted.includes('?') ? runtime.masker.maskText(redacted).text : redacted;
  doc.auditedPath = masked;
  return masked;
}
