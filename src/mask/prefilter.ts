/**
 * All detector keywords in one pass: a single alternation over the lower-cased text, instead of one
 * `includes` per keyword (each is a full scan of the body). Returns the keywords that occur.
 */
export function createPrefilter(keywords: readonly string[]): (lower: string) => ReadonlySet<string> {
  const unique = [...new Set(keywords.map((k) => k.toLowerCase()))].sort((a, b) => b.length - a.length);
  if (unique.length === 0) return () => new Set();
  const escaped = unique.map((k) => k.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&'));
  const re = new RegExp(escaped.join('|'), 'g');
  // A keyword found inside a longer one (`key` in `api_key`) is consumed by the longer match: credit both.
  const contained = new Map(unique.map((k) => [k, unique.filter((other) => other !== k && k.includes(other))]));
  return (lower) => {
    const seen = new Set<string>();
    re.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = re.exec(lower)) !== null) {
      if (seen.has(m[0])) continue;
      seen.add(m[0]);
      for (const k of contained.get(m[0]) ?? []) seen.add(k);
      if (seen.size === unique.length) break;
    }
    return seen;
  };
}
