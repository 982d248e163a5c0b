/** A detector keyword and how to compare it (against the lower-cased text, or the text as is). */
export interface KeywordSpec {
  readonly keyword: string;
  readonly ignoreCase: boolean;
}

/** Characters from rarest to most common in JSON logs and text; anything not listed counts as common. */
const RARITY = '#@$~^|`<>!;%&*?=+QZJXKVBWYFGPMUCLDHRSNIOATEqzjxkvbwy()[]{}\\fgp_mucldhrsnioate-/.:, "0123456789';
const rank = (c: string): number => {
  const r = RARITY.indexOf(c);
  return r < 0 ? RARITY.length : r;
};

interface Probe {
  /** Searched with indexOf: the keyword from its rarest character on (shared by keywords that agree there). */
  needle: string;
  readonly ignoreCase: boolean;
  /** Keywords holding `needle` at `offset`. */
  readonly entries: { readonly keyword: string; readonly offset: number }[];
}

/**
 * All detector keywords, found with native `indexOf` instead of a regex alternation (V8 tries every
 * branch at every offset: ~1.3x JSON.parse on a 64 KiB body). Each keyword is looked up from its
 * rarest character on: V8 jumps between occurrences of that character with memchr and compares the
 * rest natively, so only real candidates reach JS, where the whole keyword is checked. Keywords that
 * start alike from there share one search (`key` for api_key, app_key, key...).
 *
 * (~0.3x JSON.parse on a Datadog logs batch, where `v`, `c`, `p` and `/` are common.)
 *
 * Returns the keywords that occur (lower-cased: `seen.has(k.toLowerCase())`). Case-insensitive
 * keywords are looked for in `lower`, the others in `text` as is.
 */
export function createPrefilter(specs: readonly KeywordSpec[]): (text: string, lower: () => string) => ReadonlySet<string> {
  const byKey = new Map<string, KeywordSpec>();
  for (const s of specs) {
    const keyword = s.ignoreCase ? s.keyword.toLowerCase() : s.keyword;
    if (keyword.length === 0) continue;
    const k = `${s.ignoreCase ? 'i' : 's'}${keyword}`;
    if (!byKey.has(k)) byKey.set(k, { keyword, ignoreCase: s.ignoreCase });
  }
  const probes = new Map<string, Probe>();
  for (const { keyword, ignoreCase } of byKey.values()) {
    let offset = 0;
    for (let i = 1; i < keyword.length; i++) if (rank(keyword[i]!) < rank(keyword[offset]!)) offset = i;
    const suffix = keyword.slice(offset);
    const k = `${ignoreCase ? 'i' : 's'}${suffix.slice(0, 2)}`;
    let probe = probes.get(k);
    if (!probe) probes.set(k, (probe = { needle: suffix, ignoreCase, entries: [] }));
    // The longest start all its keywords share: V8 compares it natively, JS sees only real candidates.
    let common = 0;
    while (common < probe.needle.length && common < suffix.length && probe.needle[common] === suffix[common]) common++;
    probe.needle = probe.needle.slice(0, common);
    probe.entries.push({ keyword, offset });
  }
  const all = [...probes.values()];
  return (text, lower) => {
    const seen = new Set<string>();
    for (const { needle, ignoreCase, entries } of all) {
      let left = 0;
      for (const e of entries) if (!seen.has(e.keyword.toLowerCase())) left++;
      if (left === 0) continue;
      const hay = ignoreCase ? lower() : text;
      for (let at = hay.indexOf(needle); at >= 0 && left > 0; at = hay.indexOf(needle, at + 1)) {
        for (const { keyword, offset } of entries) {
          const from = at - offset;
          if (from < 0 || !hay.startsWith(keyword, from)) continue;
          const k = keyword.toLowerCase();
          if (seen.has(k)) continue;
          seen.add(k);
          left--;
        }
      }
    }
    return seen;
  };
}
