/**
 * Why a request path is not in the one shape the gate, Envoy and Datadog all read the same way, or
 * null when it is. Such a path is refused before policy runs (`path_not_canonical`), whatever the
 * rules say: `/api/v1/monitor/..;/..;/v2/api_keys` matches a rule `/api/v1/monitor/**` here but is
 * `/api/v2/api_keys` to a server that drops `;` parameters and resolves dot segments.
 *
 * Refused: no leading `/`; whitespace, control characters, `#`; backslashes (raw or `%5C`); `;`
 * path parameters; empty segments (`//`); dot segments, raw or encoded in any case (`.`, `..`,
 * `%2e`, `.%2E`); percent-encoded unreserved characters (`%41`, `%5F`: they have a plain form),
 * encoded `/` and `%`; malformed escapes. Other escapes (`%20`, `%3A`) keep the segment structure
 * and pass. A trailing `/` passes.
 */
export function pathShapeProblem(path: string): string | null {
  if (!path.startsWith('/')) return 'does not start with "/"';
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x20\x7f#]/.test(path)) return 'whitespace, control character or "#"';
  if (path.includes('\\')) return 'backslash';
  if (path.includes(';')) return '";" path parameter';
  if (/%(?![0-9A-Fa-f]{2})/.test(path)) return 'malformed percent escape';
  // Most paths have no escape and no dot: only the empty-segment rule can apply (it runs on every Check).
  const escaped = path.includes('%');
  if (!escaped && !path.includes('.')) return path.includes('//') ? 'empty segment ("//")' : null;
  const segments = path.slice(1).split('/');
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!;
    if (seg === '' && i < segments.length - 1) return 'empty segment ("//")';
    const problem = escaped && seg.includes('%') ? escapeProblem(seg) : null;
    if (problem) return problem;
    if (seg === '.' || seg === '..') return 'dot segment';
  }
  return null;
}

/** What is wrong with a segment's percent escapes, or null. */
function escapeProblem(seg: string): string | null {
  for (const m of seg.matchAll(/%([0-9A-Fa-f]{2})/g)) {
    const code = parseInt(m[1]!, 16);
    const ch = String.fromCharCode(code);
    if (/[A-Za-z0-9._~-]/.test(ch)) return `percent-encoded unreserved character "${ch}"`;
    if (ch === '/' || ch === '\\' || ch === '%' || ch === ';') return `percent-encoded "${ch}"`;
    if (code < 0x20 || code === 0x7f) return 'percent-encoded control character';
  }
  try {
    decodeURIComponent(seg);
  } catch {
    return 'percent escapes that are not UTF-8 (e.g. an overlong "%c0%ae")';
  }
  return null;
}
