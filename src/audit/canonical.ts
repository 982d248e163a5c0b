/**
 * Canonical JSON: the exact bytes a chain hash covers. Object keys sorted by UTF-16 code units, no
 * whitespace, arrays in order, numbers as JavaScript prints them. Non-finite numbers and undefined
 * values are refused (TypeError): they have no JSON form and would make two different rows hash alike.
 */
export type JsonValue = null | boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

export function canonicalJson(value: JsonValue): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`canonicalJson: non-finite number ${String(value)}`);
      return JSON.stringify(value);
    case 'string':
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) return `[${(value as readonly JsonValue[]).map(canonicalJson).join(',')}]`;
      const obj = value as { readonly [key: string]: JsonValue };
      const keys = Object.keys(obj).sort();
      return `{${keys
        .map((k) => {
          const v = obj[k];
          if (v === undefined) throw new TypeError(`canonicalJson: undefined value at key ${JSON.stringify(k)}`);
          return `${JSON.stringify(k)}:${canonicalJson(v)}`;
        })
        .join(',')}}`;
    }
    default:
      throw new TypeError(`canonicalJson: unsupported type ${typeof value}`);
  }
}

/**
 * Text as Postgres will store and return it: NUL is refused by Postgres `text`/`jsonb` and lone
 * surrogates are re-encoded as U+FFFD on the wire, so both are normalised before hashing.
 */
export function storableText(s: string): string {
  return s.replace(UNSTORABLE, '\uFFFD');
}

const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** The UTF-8 bytes of a body's canonical JSON string (what the row hash covers and Postgres stores). */
export function bodyJsonBytes(masked: string): Buffer {
  return Buffer.from(JSON.stringify(storableText(masked)), 'utf8');
}

/** storableText applied to every string (keys included) of a JSON value. */
export function storableJson(value: JsonValue): JsonValue {
  if (typeof value === 'string') return storableText(value);
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return (value as readonly JsonValue[]).map(storableJson);
  return Object.fromEntries(Object.entries(value as { readonly [key: string]: JsonValue }).map(([k, v]) => [storableText(k), storableJson(v)]));
}
