import { randomUUID } from 'node:crypto';
import type { CallEvent } from '../audit/events.js';
import { maskRequestPath } from '../mask/request-path.js';
import { redactedPath } from '../policy/request-path.js';
import type { CallContext } from '../seal/call-context.js';
import type { Runtime } from '../config/compile.js';

/**
 * The audit row of an ext_proc stream refused for its context: a call of its own, denied with
 * context_invalid. Identity fields come from the context only when its seal was valid (`context`
 * non-null); method and path are what the stream claimed, redacted and masked as any audited path.
 */
export function refusedStreamEvent(context: CallContext | null, runtime: Runtime, method: string, rawPath: string): CallEvent {
  const requestId = randomUUID();
  const path = maskRequestPath(redactedPath(rawPath), (text) => runtime.masker.maskText(text));
  return {
    kind: 'call',
    time: new Date(),
    request_id: requestId,
    issuer: context?.issuer ?? null,
    subject: context?.subject ?? null,
    groups: context?.groups ?? [],
    client_id: context?.client_id || null,
    connection: context?.connection ?? null,
    method,
    path,
    operation_class: null,
    decision: 'deny',
    rule: null,
    approval_id: null,
    reason_code: 'context_invalid',
    dry_run: [],
    latency_ms: 0,
    config_version: runtime.config.version,
  };
}
