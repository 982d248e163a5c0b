import type { Struct, Struct__Output } from '../../proto/gen/google/protobuf/Struct.js';
import type { Value, Value__Output } from '../../proto/gen/google/protobuf/Value.js';

/** Plain JSON-like data ↔ google.protobuf.Struct, for dynamic metadata. */
export type Plain = string | number | boolean | null | readonly Plain[] | { readonly [key: string]: Plain };

export function toStruct(obj: { readonly [key: string]: Plain }): Struct {
  return { fields: Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, toValue(v)])) };
}

function toValue(v: Plain): Value {
  if (v === null) return { nullValue: 'NULL_VALUE' };
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'number') return { numberValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (Array.isArray(v)) return { listValue: { values: v.map(toValue) } };
  return { structValue: toStruct(v as { readonly [key: string]: Plain }) };
}

export function fromStruct(s: Struct__Output | Struct | null | undefined): { [key: string]: Plain } {
  const out: { [key: string]: Plain } = {};
  for (const [k, v] of Object.entries(s?.fields ?? {})) out[k] = fromValue(v);
  return out;
}

function fromValue(v: Value__Output | Value): Plain {
  // Decoded messages name their oneof member in `kind`; plain objects only carry the member itself.
  const kind = v.kind ?? (Object.keys(v) as (keyof Value)[]).find((k) => k !== 'kind' && v[k] !== undefined);
  switch (kind) {
    case 'stringValue':
      return v.stringValue ?? '';
    case 'numberValue':
      return Number(v.numberValue);
    case 'boolValue':
      return Boolean(v.boolValue);
    case 'listValue':
      return (v.listValue?.values ?? []).map(fromValue);
    case 'structValue':
      return fromStruct(v.structValue);
    default:
      return null;
  }
}
