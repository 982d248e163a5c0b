import type { TextMaskResult } from './types.js';

/** `%XX` decoded (the query's `+` as a space); bytes that are not UTF-8 decode one by one, never throw. */
function decodeToken(token: string, plusIsSpace: boolean): string {
  const t = plusIsSpace ? token.replace(/\+/g, ' ') : token;
  if (!t.includes('%')) return t;
  try {
    return decodeURIComponent(t);
  } catch {
    return t.replace(/%([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
  }
}

/** What a masked token may not hold raw without changing the path's shape (or a terminal's). */
const STRUCTURAL = /[\x00-\x20\x7f%/?#&;\\]/g;
const reencode = (text: string) => text.replace(STRUCTURAL, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0'));

/**
 * Masks a path with query: each segment and each `name=value` part is decoded and masked; a part
 * with a finding is replaced by its masked text, every other part stays exactly as sent. One scan of
 * the whole decoded text first: a clean path (the common case) costs one masker call.
 */
export function maskRequestPath(path: string, maskText: (text: string) => TextMaskResult): string {
  const q = path.indexOf('?');
  const tokens: { raw: string; decoded: string; sep: string }[] = [];
  const pathPart = q === -1 ? path : path.slice(0, q);
  pathPart.split('/').forEach((raw, i) => tokens.push({ raw, decoded: decodeToken(raw, false), sep: i === 0 ? '' : '/' }));
  if (q !== -1) {
    const pieces = path.slice(q + 1).split(/([&;])/);
    for (let i = 0; i < pieces.length; i += 2) tokens.push({ raw: pieces[i]!, decoded: decodeToken(pieces[i]!, true), sep: i === 0 ? '?' : pieces[i - 1]! });
  }
  const whole = tokens.map((t) => t.sep + t.decoded).join('');
  const all = maskText(whole);
  if (!all.changed) return path;
  const masked = tokens.map((t) => {
    const r = t.decoded === '' ? null : maskText(t.decoded);
    return r?.changed ? { shown: t.sep + reencode(r.text), text: t.sep + r.text } : { shown: t.sep + t.raw, text: t.sep + t.decoded };
  });
  // A secret only the whole text shows (split across parts): show the whole text masked, nothing raw.
  const rest = maskText(masked.map((m) => m.text).join(''));
  return rest.changed ? rest.text.replace(CONTROL, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')) : masked.map((m) => m.shown).join('');
}

const CONTROL = /[\x00-\x20\x7f]/g;
