/**
 * Why every built-in pattern is linear-time on V8's backtracking engine (proof by construction; the
 * pathological-input tests exercise each rule):
 *
 *  R1. No quantified group contains an unbounded quantifier. The only quantified groups repeat a
 *      fixed-width choice (`(?:[0-9][ -]?)`, `(?:[A-Z]|-(?!----))`) whose branches start with disjoint
 *      characters, so there is one way to split the input and no combinatorial backtracking.
 *  R2. A pattern that opens with a repeated class first refuses, by a one-character lookbehind, to
 *      start inside a run of that class. Attempts then start only at run boundaries, so each run
 *      is scanned by a bounded number of attempts instead of once per character.
 *  R3. A repeated class is followed by a character outside it (a literal separator, a lookahead on
 *      the same class, or the end of the pattern). Backtracking out of it therefore tests one
 *      character per step and never rescans: an attempt costs O(run length).
 *  R4. Every repetition is bounded ({m,n}); sequential repetitions over overlapping classes have
 *      small bounds, so an attempt costs at most a fixed constant times its scan.
 *  R5. Patterns with a literal prefix (`-----BEGIN`, `xox`, `eyJ`) start only at that literal, and
 *      their bodies stop at the next occurrence of it (R3), so attempts never overlap.
 */
export const PATTERN_RULES = 'R1-R5';

/**
 * Refuses user-supplied patterns that can backtrack exponentially: a quantified group containing a
 * quantifier or an alternation (`(a+)+`, `(a|aa)*`), and backreferences. Returns a reason, or undefined.
 */
export function unsafePatternReason(source: string): string | undefined {
  if (/\\[1-9]|\\k</.test(source)) return 'backreferences are not allowed';
  // Track, for each open group, whether it contains a quantifier.
  const stack: boolean[] = [];
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') inClass = true;
    else if (c === '(') stack.push(false);
    else if (c === ')') {
      const hadQuantifier = stack.pop() ?? false;
      const next = source[i + 1];
      const quantified = next === '*' || next === '+' || next === '?' || next === '{';
      if (hadQuantifier && quantified && next !== '?') return 'a repeated group may not contain a quantifier or an alternation (it can backtrack exponentially)';
      if (stack.length > 0 && (hadQuantifier || quantified)) stack[stack.length - 1] = true;
    } else if ((c === '*' || c === '+' || c === '{' || c === '|') && stack.length > 0) {
      stack[stack.length - 1] = true;
    }
  }
  try {
    new RegExp(source, 'g');
  } catch {
    return 'not a valid regular expression';
  }
  return undefined;
}
