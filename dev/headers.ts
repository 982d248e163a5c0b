import type { HeaderValueOption } from '../proto/gen/envoy/config/core/v3/HeaderValueOption.js';
import { headerValueText } from '../src/envoy/contract.js';
import type { HeaderMap } from '../proto/gen/envoy/config/core/v3/HeaderMap.js';

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
  return headerValueText(option.header as Parameters<typeof headerValueText>[0]);
}

/** How a HeaderValueOption with neither `append` nor a non-zero `append_action` is applied. */
export type UnsetAppend = 'overwrite' | 'append';

/**
 * Applies HeaderValueOptions as Envoy does. An explicit (deprecated) `append` wins. Otherwise a
 * non-zero `append_action` is honoured. `append_action` 0 (APPEND_IF_EXISTS_OR_ADD) cannot be told
 * apart from "unset" in proto3, and ext_authz request headers and ext_proc mutations document
 * `append` as defaulting to false there (base.proto HeaderValueOption.append note): overwrite.
 * ext_authz `response_headers_to_add` follows `append_action` (0 → append).
 * `protect` applies ext_proc's default HeaderMutationRules. Returns the names refused.
 */
export function applySetHeaders(headers: HeaderSet, options: readonly HeaderValueOption[] | undefined, unset: UnsetAppend, protect = true): string[] {
  const refused: string[] = [];
  for (const o of options ?? []) {
    const key = o.header?.key?.toLowerCase();
    if (!key) continue;
    if (protect && isProtectedHeader(key)) {
      refused.push(key);
      continue;
    }
    const value = valueOf(o);
    const action = actionOf(o, unset);
    const existing = headers.get(key);
    switch (action) {
      case 'OVERWRITE_IF_EXISTS_OR_ADD':
        headers.set(key, value);
        break;
      case 'ADD_IF_ABSENT':
        if (existing === undefined) headers.set(key, value);
        break;
      case 'OVERWRITE_IF_EXISTS':
        if (existing !== undefined) headers.set(key, value);
        break;
      default:
        headers.set(key, existing === undefined ? value : `${existing},${value}`);
    }
  }
  return refused;
}

type Action = 'APPEND_IF_EXISTS_OR_ADD' | 'ADD_IF_ABSENT' | 'OVERWRITE_IF_EXISTS_OR_ADD' | 'OVERWRITE_IF_EXISTS';
const ACTIONS: readonly Action[] = ['APPEND_IF_EXISTS_OR_ADD', 'ADD_IF_ABSENT', 'OVERWRITE_IF_EXISTS_OR_ADD', 'OVERWRITE_IF_EXISTS'];

function actionOf(o: HeaderValueOption, unset: UnsetAppend): Action {
  const append = o.append as { value?: boolean } | null | undefined;
  if (append !== null && append !== undefined) return append.value ? 'APPEND_IF_EXISTS_OR_ADD' : 'OVERWRITE_IF_EXISTS_OR_ADD';
  const raw = o.append_action;
  const action = typeof raw === 'number' ? ACTIONS[raw] : (raw as Action | undefined);
  if (action === undefined || action === 'APPEND_IF_EXISTS_OR_ADD') return unset === 'overwrite' ? 'OVERWRITE_IF_EXISTS_OR_ADD' : 'APPEND_IF_EXISTS_OR_ADD';
  return action;
}

/**
 * Envoy never removes pseudo-headers or `host` (HeaderUtility::isRemovableHeader); with `protect`,
 * ext_proc's default HeaderMutationRules also keep x-envoy-* and the routing headers.
 */
export function removeHeaders(headers: HeaderSet, names: readonly string[] | undefined, protect = true): string[] {
  const refused: string[] = [];
  for (const name of names ?? []) {
    const n = name.toLowerCase();
    if (n.startsWith(':') || n === 'host' || (protect && isProtectedHeader(n))) refused.push(n);
    else headers.delete(n);
  }
  return refused;
}

/** Header set → Envoy HeaderMap with values as raw_value bytes, as Envoy sends them to ext_proc. */
export function toHeaderMap(headers: HeaderSet, pseudo: Record<string, string> = {}): HeaderMap {
  const entries = [...Object.entries(pseudo), ...headers.entries()];
  return { headers: entries.map(([key, value]) => ({ key, raw_value: Buffer.from(value, 'utf8') })) };
}
