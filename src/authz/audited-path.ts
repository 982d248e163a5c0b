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
  const masked = runtime ? maskedOnce(runtime, redacted) : redacted;
  doc.auditedPath = masked;
  return masked;
}

/**
 * Paths this runtime's masker found nothing in: agents call the same few paths again and again, and
 * masking one was ~4 % of a Check. Only clean paths are kept (a path the masker changed is masked
 * every time, so nothing it judged secret stays in memory); per runtime, since a reload may mask more.
 */
const cleanPaths = new WeakMap<Runtime, Set<string>>();
const CLEAN_PATHS_MAX = 4096;

function maskedOnce(runtime: Runtime, redacted: string): string {
  let clean = cleanPaths.get(runtime);
  if (clean?.has(redacted)) return redacted;
  const masked = maskRequestPath(redacted, (text) => runtime.masker.maskText(text));
  if (masked === redacted && redacted.length <= 512) {
    if (!clean) cleanPaths.set(runtime, (clean = new Set()));
    if (clean.size >= CLEAN_PATHS_MAX) clean.clear();
    clean.add(redacted);
  }
  return masked;
}
