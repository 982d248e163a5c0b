import type { HeaderValueOption } from '../envoy/generated/envoy/config/core/v3/HeaderValueOption.js';
import type { HeaderMap } from '../envoy/generated/envoy/config/core/v3/HeaderMap.js';

/** A request or response header set as the front door keeps it: lower-case names, one value each. */
export type HeaderSet = Map<string, string>;

/**
 * Headers Envoy's default HeaderMutationRules refuse to let an external service change: the routing
 * headers (host, :authority, :scheme, :method) and Envoy's own x-envoy-*. `:path` may be changed.
 */
export function isProtectedHeader(name: string): boolean {
  const n = name.toLowerCase();
  return n === 'host' || n === ':authority' || n === ':scheme' || n === ':method' || n === ':status' || n.startsWith('x-envoy-');
}

export function headerSetFrom(raw: Record<string, string | string[] | undefined>): HeaderSet {
  const set: HeaderSet = new Map();
  for (const [k, v] of Object.entries(raw)) {
    if (v === undefined) continue;
    set.set(k.toLowerCase(), Array.isArray(v) ? v.join(',') : v);
  }
  return set;
}

function valueOf(option: HeaderValueOption): string {
  const raw = option.header?.raw_value;
  if (raw !== undefined && raw !== null && raw.length > 0) return Buffer.from(raw as Uint8Array).toString('utf8');
  return option.header?.value ?? '';
}

/**
 * Applies HeaderValueOptions as Envoy does. The default append action is APPEND_IF_EXISTS_OR_ADD
 * unless the deprecated `append` is false; ext_authz OK headers default to overwrite (appendDefault false).
 * Returns the names refused by the mutation rules.
 */
export function applySetHeaders(headers: HeaderSet, options: readonly HeaderValueOption[] | undefined, appendDefault = true): string[] {
  const refused: string[] = [];
  for (const o of options ?? []) {
    const key = o.header?.key?.toLowerCase();
    if (!key) continue;
    if (isProtectedHeader(key)) {
      refused.push(key);
      continue;
    }
    const value = valueOf(o);
    const appendFlag = o.append === null || o.append === undefined ? appendDefault : Boolean((o.append as { value?: boolean }).value);
    const action = o.append_action ?? (appendFlag ? 'APPEND_IF_EXISTS_OR_ADD' : 'OVERWRITE_IF_EXISTS_OR_ADD');
    const existing = headers.get(key);
    switch (action) {
      case 'OVERWRITE_IF_EXISTS_OR_ADD':
      case 2:
        headers.set(key, value);
        break;
      case 'ADD_IF_ABSENT':
      case 1:
        if (existing === undefined) headers.set(key, value);
        break;
      case 'OVERWRITE_IF_EXISTS':
      case 3:
        if (existing !== undefined) headers.set(key, value);
        break;
      default:
        headers.set(key, existing === undefined ? value : `${existing},${value}`);
    }
  }
  return refused;
}

export function removeHeaders(headers: HeaderSet, names: readonly string[] | undefined): string[] {
  const refused: string[] = [];
  for (const name of names ?? []) {
    const n = name.toLowerCase();
    if (isProtectedHeader(n)) refused.push(n);
    else headers.delete(n);
  }
  return refused;
}

/** Header set → Envoy HeaderMap with values as raw_value bytes, as Envoy sends them to ext_proc. */
export function toHeaderMap(headers: HeaderSet, pseudo: Record<string, string> = {}): HeaderMap {
  const entries = [...Object.entries(pseudo), ...headers.entries()];
  return { headers: entries.map(([key, value]) => ({ key, raw_value: Buffer.from(value, 'utf8') })) };
}
