/**
 * "Did you mean …?" for config errors: the closest known key or enum value to a misspelled one.
 * Pure: edit distance, and the keys a zod schema knows at a path.
 */

/** Levenshtein distance with adjacent transposition counted as one edit (`poilcy` is one step from `policy`). */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_r, i) => Array.from({ length: cols }, (_c, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let v = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) v = Math.min(v, d[i - 2]![j - 2]! + 1);
      d[i]![j] = v;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The candidate closest to `word`, only when it is close: at most a third of the word's length in
 * edits (at least 1, at most 3), and unambiguous. A far-off guess is worse than none.
 */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  const limit = Math.min(3, Math.max(1, Math.floor(word.length / 3)));
  let best: string | undefined;
  let bestDistance = Infinity;
  let tie = false;
  for (const c of new Set(candidates)) {
    const dist = editDistance(word.toLowerCase(), c.toLowerCase());
    if (dist < bestDistance) {
      best = c;
      bestDistance = dist;
      tie = false;
    } else if (dist === bestDistance) {
      tie = true;
    }
  }
  return best !== undefined && bestDistance <= limit && !tie ? best : undefined;
}

interface ZodLike {
  _zod?: { def?: Record<string, unknown> };
}

/** Keys an object schema accepts at `path` (array indices step into elements); [] when the path leads nowhere known. */
export function knownKeysAt(schema: unknown, path: readonly (string | number)[]): string[] {
  const keys = new Set<string>();
  const visit = (s: unknown, rest: readonly (string | number)[], depth: number): void => {
    const def = (s as ZodLike | undefined)?._zod?.def;
    if (!def || depth > 64) return;
    switch (def.type) {
      case 'object': {
        const shape = def.shape as Record<string, unknown>;
        if (rest.length === 0) for (const k of Object.keys(shape)) keys.add(k);
        else if (typeof rest[0] === 'string' && rest[0] in shape) visit(shape[rest[0]], rest.slice(1), depth + 1);
        return;
      }
      case 'array':
        if (typeof rest[0] === 'number') visit(def.element, rest.slice(1), depth + 1);
        return;
      case 'record':
        if (rest.length > 0) visit(def.valueType, rest.slice(1), depth + 1);
        return;
      case 'union':
        for (const o of def.options as unknown[]) visit(o, rest, depth + 1);
        return;
      case 'intersection':
        visit(def.left, rest, depth + 1);
        visit(def.right, rest, depth + 1);
        return;
      case 'pipe':
        visit(def.in, rest, depth + 1);
        return;
      case 'lazy':
        visit((def.getter as () => unknown)(), rest, depth + 1);
        return;
      default:
        if (def.innerType) visit(def.innerType, rest, depth + 1);
    }
  };
  visit(schema, path, 0);
  return [...keys];
}
