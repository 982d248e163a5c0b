import type { JsonStrings } from './json-walker.js';
import { IS_KEY } from './json-walker.js';

export type PathSegment = string | number;

/** One step of an allow-path: a member name, an index, any one step, or any number of steps (`..`). */
type Step = { kind: 'name'; name: string } | { kind: 'index'; index: number } | { kind: 'any' } | { kind: 'deep' };

const STEP = /^(?:\.\.|\.([A-Za-z_$][A-Za-z0-9_$-]*|\*)|\[(\d+|\*|'[^']*'|"(?:[^"\\]|\\.)*")\])/;

/** Parses `$.series[*].metric`, `$..message`, `$["a b"][0]`. Throws TypeError on a malformed path. */
export function parseAllowPath(path: string): Step[] {
  if (!path.startsWith('$')) throw new TypeError(`allow path must start with $: ${path}`);
  const steps: Step[] = [];
  let rest = path.slice(1);
  while (rest.length > 0) {
    const m = STEP.exec(rest);
    if (!m) throw new TypeError(`malformed allow path: ${path}`);
    if (m[0] === '..') {
      steps.push({ kind: 'deep' });
      // `..name` reads as deep + name.
      if (/^[A-Za-z_$*]/.test(rest.slice(2))) rest = '.' + rest.slice(2);
      else rest = rest.slice(2);
      continue;
    }
    const name = m[1];
    const bracket = m[2];
    if (name === '*' || bracket === '*') steps.push({ kind: 'any' });
    else if (name !== undefined) steps.push({ kind: 'name', name });
    else if (bracket !== undefined && /^\d+$/.test(bracket)) steps.push({ kind: 'index', index: Number(bracket) });
    else if (bracket !== undefined && bracket.startsWith("'")) steps.push({ kind: 'name', name: bracket.slice(1, -1) });
    else if (bracket !== undefined) steps.push({ kind: 'name', name: JSON.parse(bracket) as string });
    rest = rest.slice(m[0].length);
  }
  return steps;
}

/** Whether `steps` match `path` or one of its ancestors (an allowed path covers its whole subtree). */
export function matchesAllowPath(steps: readonly Step[], path: readonly PathSegment[]): boolean {
  const seen = new Set<number>();
  const go = (si: number, pi: number): boolean => {
    if (si === steps.length) return true;
    const memo = si * (path.length + 1) + pi;
    if (seen.has(memo)) return false;
    seen.add(memo);
    const step = steps[si]!;
    if (step.kind === 'deep') {
      for (let p = pi; p <= path.length; p++) if (go(si + 1, p)) return true;
      return false;
    }
    if (pi >= path.length) return false;
    const seg = path[pi]!;
    const ok =
      step.kind === 'any' ||
      (step.kind === 'name' && seg === step.name) ||
      (step.kind === 'index' && seg === step.index);
    return ok && go(si + 1, pi + 1);
  };
  return go(0, 0);
}

/** The path of string token `tok`: member names and indices from the document root. */
export function tokenPath(strings: JsonStrings, tok: number, name: (tok: number) => string): { doc: number; path: PathSegment[] } {
  const path: PathSegment[] = [];
  const { kind, parent, slot } = strings.frames;
  let fr = strings.frame[tok]!;
  let s = strings.slot[tok]!;
  let isKeyTok = (strings.flags[tok]! & IS_KEY) !== 0;
  while (fr >= 0) {
    path.push(kind[fr] === 0 || isKeyTok ? name(s) : s);
    isKeyTok = false;
    s = slot[fr]!;
    fr = parent[fr]!;
  }
  path.reverse();
  return { doc: s, path };
}

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** `$.series[0].tags[2]`; `hidden` names (member names that were themselves redacted) print as `*`. */
export function formatPath(path: readonly PathSegment[], hidden?: ReadonlySet<string>): string {
  let out = '$';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (hidden?.has(seg)) out += '.*';
    else if (IDENT.test(seg)) out += `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}
