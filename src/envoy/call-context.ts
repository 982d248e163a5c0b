import type { SealedContext } from '../seal/call-context.js';
import { OPERATION_CLASSES, type OperationClass } from '../config/schema.js';
import { CONTEXT_KEY, EXT_AUTHZ_NAMESPACE } from './contract.js';
import type { Plain } from './struct.js';

/**
 * The call context ext_authz handed over through Envoy's dynamic metadata, or null when it is
 * missing or malformed (a mis-wired Envoy: ext_proc must then refuse, never guess).
 */
export function readCallContext(metadata: Readonly<Record<string, { readonly [key: string]: Plain }>>): SealedContext | null {
  const raw = metadata[EXT_AUTHZ_NAMESPACE]?.[CONTEXT_KEY];
  if (raw === null || raw === undefined || typeof raw !== 'object' || Array.isArray(raw)) return null;
  const c = raw as { readonly [key: string]: Plain };
  const str = (k: string) => (typeof c[k] === 'string' ? (c[k] as string) : null);
  const requestId = str('request_id');
  const connection = str('connection');
  const cls = str('operation_class');
  const seal = str('seal');
  const expiresAt = typeof c.expires_at === 'number' ? c.expires_at : NaN;
  if (!requestId || !connection || !cls || !seal || !(OPERATION_CLASSES as readonly string[]).includes(cls)) return null;
  return {
    request_id: requestId,
    issuer: str('issuer') ?? '',
    subject: str('subject') ?? '',
    groups: Array.isArray(c.groups) ? c.groups.filter((g): g is string => typeof g === 'string') : [],
    client_id: str('client_id') ?? '',
    connection,
    operation_class: cls as OperationClass,
    rule: str('rule') ?? '',
    approval_id: str('approval_id') ?? '',
    config_version: str('config_version') ?? '',
    approved_body_sha256: str('approved_body_sha256') ?? '',
    method: str('method') ?? '',
    path: str('path') ?? '',
    expires_at: expiresAt,
    seal,
  };
}
