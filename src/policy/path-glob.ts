/**
 * Path globs: `*` matches one segment, `**` any number of segments (zero included).
 * Compiled to anchored regexes that cannot backtrack badly: every repeated group starts with "/"
 * and its body excludes "/", so there is only one way to match.
 */
export function compilePathGlob(glob: string): RegExp {
  const segments = glob.split('/').slice(1);
  let source = '^';
  for (const segment of segments) {
    if (segment === '**') source += '(?:/[^/]+)*';
    else if (segment === '*') source += '/[^/]+';
    else source += '/' + segment.split('*').map(escapeRegex).join('[^/]*');
  }
  if (glob.endsWith('/') && segments.at(-1) === '') source = source.slice(0, -1) + '/';
  return new RegExp(source + '/?$');
}

function escapeRegex(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Simple `*` globs for subjects and names (no path semantics). */
export function compileNameGlob(glob: string): RegExp {
  return new RegExp('^' + glob.split('*').map(escapeRegex).join('.*') + '$');
}
