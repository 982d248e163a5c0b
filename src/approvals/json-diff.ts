/** One difference between the object as it is in Datadog and the body an agent wants to send. */
export interface JsonChange {
  /** JSONPath-like location: `$.widgets[0].definition.title`. */
  readonly path: string;
  /** `added`/`changed`: the request sets it; `absent`: Datadog has it and the request does not send it. */
  readonly kind: 'added' | 'changed' | 'absent';
  /** JSON text of the current value (masked), or null when there is none. */
  readonly before: string | null;
  /** JSON text of the requested value (masked), or null when there is none. */
  readonly after: string | null;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const child = (path: string, key: string) => (IDENT.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`);
const isObject = (v: Json): v is { [k: string]: Json } => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * A readable diff of two JSON documents, leaf by leaf, arrays by index. `absent` entries matter for
 * PUT (replace: Datadog may drop or reset them) and are left out for PATCH, where they stay as they are.
 * Capped so one huge body cannot make the page unreadable; `truncated` says so.
 */
export function jsonDiff(beforeText: string, afterText: string, method: string, limit = 200): { changes: JsonChange[]; truncated: boolean } | null {
  let before: Json;
  let after: Json;
  try {
    before = JSON.parse(beforeText) as Json;
    after = JSON.parse(afterText) as Json;
  } catch {
    return null;
  }
  const changes: JsonChange[] = [];
  const withAbsent = method.toUpperCase() === 'PUT';
  const walk = (path: string, b: Json | undefined, a: Json | undefined) => {
    if (changes.length > limit) return;
    if (a === undefined) {
      if (withAbsent && b !== undefined) changes.push({ path, kind: 'absent', before: JSON.stringify(b), after: null });
      return;
    }
    if (b === undefined) {
      changes.push({ path, kind: 'added', before: null, after: JSON.stringify(a) });
      return;
    }
    if (isObject(a) && isObject(b)) {
      for (const k of Object.keys(a)) walk(child(path, k), b[k], a[k]);
      for (const k of Object.keys(b)) if (!(k in a)) walk(child(path, k), b[k], undefined);
      return;
    }
    if (Array.isArray(a) && Array.isArray(b)) {
      for (let i = 0; i < Math.max(a.length, b.length); i++) {
        // A shorter array drops its tail, for PATCH too.
        if (i >= a.length) changes.push({ path: `${path}[${i}]`, kind: 'absent', before: JSON.stringify(b[i]), after: null });
        else walk(`${path}[${i}]`, b[i], a[i]);
      }
      return;
    }
    if (JSON.stringify(a) !== JSON.stringify(b)) changes.push({ path, kind: 'changed', before: JSON.stringify(b), after: JSON.stringify(a) });
  };
  walk('$', before, after);
  return { changes: changes.slice(0, limit), truncated: changes.length > limit };
}
