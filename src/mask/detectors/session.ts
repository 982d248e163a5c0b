import type { Detector, MatchContext } from '../types.js';
import { isPlaceholder, shannonEntropy } from '../validators.js';

/**
 * Session material: cookie values in `Cookie:` / `Set-Cookie:` text, OAuth authorization codes and
 * tokens in URLs, form bodies and JSON. (Formats: RFC 6265 cookie syntax, RFC 6749 parameters.)
 */
const re = (source: string, flags = 'g'): RegExp => new RegExp(source, flags);

const SESSION_NAME = /sess|sid$|^sid|auth|token|jwt|remember|login|identity|csrf|xsrf|^__(?:host|secure)-|ticket|saml|^s$|^_?_?session|connect\.sid|user_?key|access|refresh/i;
const COOKIE_ATTRIBUTE = /^(?:path|domain|expires|max-age|samesite|secure|httponly|priority|partitioned|version|comment)$/i;

/** The line holding `index` reads as a cookie header up to it. */
function inCookieHeader(ctx: MatchContext): boolean {
  const from = Math.max(0, ctx.index - 8192);
  const before = ctx.text.slice(from, ctx.index);
  const nl = Math.max(before.lastIndexOf('\n'), before.lastIndexOf('\r'));
  return /cookie\\{0,3}["']?[ \t]{0,3}[:=]/i.test(nl >= 0 ? before.slice(nl + 1) : before);
}

export function cookieValueSecret(name: string, value: string): boolean {
  if (COOKIE_ATTRIBUTE.test(name) || isPlaceholder(value) || value.length < 8) return false;
  if (SESSION_NAME.test(name)) return shannonEntropy(value) >= 2.5;
  return value.length >= 24 && /[0-9]/.test(value) && /[A-Za-z]/.test(value) && shannonEntropy(value) >= 4;
}

/** Each `name=value` pair of a cookie header; the pairs after the first open with `;`. */
export const sessionCookie: Detector = {
  type: 'session_cookie',
  priority: 58,
  keywords: ['cookie'],
  keywordsIgnoreCase: true,
  pattern: re(String.raw`(?:cookie\\{0,3}["']?[ \t]{0,3}[:=][ \t]{0,3}\\{0,3}["']?|;[ \t]{0,3})([A-Za-z0-9_.$!#%&*+^|~-]{1,128})=\\{0,3}"?([^;\s,"'\\]{1,4096})`, 'gi'),
  validate: (value, ctx) => {
    if (!ctx.match.startsWith(';') || inCookieHeader(ctx)) return cookieValueSecret(ctx.groups[1] ?? '', value);
    return false;
  },
};

const OAUTH_CONTEXT = /state=|redirect_uri|grant_type|authorization_code|client_id|oauth|\/callback|\/authorize|code_verifier|openid/i;

/** `?code=…` / `&code=…` / `"code": "…"` where the text around reads as an OAuth exchange. */
export const oauthCode: Detector = {
  type: 'oauth_code',
  priority: 60,
  // `code` alone is in every `status_code` member name: the keyword includes its separator.
  keywords: ['code=', '"code"', "'code'", 'code:'],
  keywordsIgnoreCase: true,
  pattern: re(String.raw`(?<![A-Za-z0-9_.-])code\\{0,3}["']?[ \t]{0,3}[:=][ \t]{0,3}\\{0,3}["']?([A-Za-z0-9._~%/+*!-]{16,2048})(?![A-Za-z0-9._~%/+*!-])`, 'gi'),
  validate: (value, ctx) =>
    /[0-9]/.test(value) && /[A-Za-z]/.test(value) && shannonEntropy(value) >= 3 && OAUTH_CONTEXT.test(ctx.text.slice(Math.max(0, ctx.index - 1024), ctx.index + value.length + 1024)),
};

/** access / refresh / id tokens by their OAuth names, in a query, a form body, JSON or a header dump. */
export const oauthToken: Detector = {
  type: 'oauth_token',
  priority: 60,
  keywords: ['token'],
  keywordsIgnoreCase: true,
  pattern: re(String.raw`(?<![A-Za-z0-9_.-])(?:access|refresh|id|oauth)_?token\\{0,3}["']?[ \t]{0,3}[:=][ \t]{0,3}\\{0,3}["']?([A-Za-z0-9._~%/+=-]{12,8192})(?![A-Za-z0-9._~%/+=-])`, 'gi'),
  validate: (value) => !isPlaceholder(value) && /[0-9]/.test(value) && /[A-Za-z]/.test(value) && shannonEntropy(value) >= 3,
};

export const sessionDetectors: readonly Detector[] = [sessionCookie, oauthCode, oauthToken];
