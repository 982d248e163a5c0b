import type { Detector } from '../types.js';
import { basicCredentialsValid, isPlaceholder, shannonEntropy } from '../validators.js';

const re = (source: string, flags = 'g'): RegExp => new RegExp(source, flags);

/** An opaque bearer token: long enough, not a word, not a placeholder. */
export function bearerTokenValid(token: string): boolean {
  if (token.length < 16 || isPlaceholder(token)) return false;
  if (!/[0-9._~+/=-]/.test(token)) return false;
  return shannonEntropy(token) >= 3;
}

/** `Authorization: Bearer|Basic <credentials>`: the credentials are replaced, the scheme stays readable. */
export const authorizationHeader: Detector = {
  type: 'authorization_header',
  priority: 60,
  keywords: ['bearer', 'basic'],
  keywordsIgnoreCase: true,
  pattern: re(String.raw`(?<![A-Za-z])(?:bearer|basic)[ \t]{1,4}([A-Za-z0-9._~+/=-]{8,16384})(?![A-Za-z0-9._~+/=-])`, 'gi'),
  validate: (secret, ctx) => (ctx.match.slice(0, 5).toLowerCase() === 'basic' ? basicCredentialsValid(secret) : bearerTokenValid(secret)),
};

/** `scheme://user:password@host`: the password part. */
export const urlPassword: Detector = {
  type: 'url_password',
  priority: 60,
  keywords: ['://'],
  // Anchored on `://`; the scheme is checked by a lookbehind. (Escaped `:\/\/` in JSON is decoded before scanning.)
  pattern: re(String.raw`:\/\/(?<=(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]{1,20}:\/\/)[^ \t\r\n\x00:/?#@"'<>\\]{0,128}:([^ \t\r\n\x00:/?#@"'<>\\]{1,256})(?=@)`),
  validate: (secret) => !isPlaceholder(secret),
};

/** Key names whose value is a credential. Matched on normalised names (`apiKey` → `api_key`). */
export const SECRET_NAME = String.raw`password|passwd|passphrase|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|secret[_-]?key|client[_-]?secret|credentials?`;
const PASSWORD_NAME = /pass|pwd/i;
/** Opaque pagination handles are not credentials: masking them would break paging. */
const NOT_SECRET_NAME = /(?:page|next|continuation|sync|pagination|cursor)[_-]?token$/i;

/** Whether a named value looks like a real credential rather than a placeholder or a word. */
export function namedSecretValid(name: string, value: string): boolean {
  if (NOT_SECRET_NAME.test(name) || isPlaceholder(value)) return false;
  if (PASSWORD_NAME.test(name)) {
    if (value.length < 6 || value.length > 128) return false;
    if (/[ \t]/.test(value) && value.split(/[ \t]/).length > 4) return false;
    return shannonEntropy(value) >= 2;
  }
  if (value.length < 12 || /[ \t]/.test(value)) return false;
  return shannonEntropy(value) >= 3;
}

export function namedSecretType(name: string): 'password' | 'generic_secret' {
  return PASSWORD_NAME.test(name) ? 'password' : 'generic_secret';
}

/** Like SEP, but the `:` or `=` is required (so `tokenizer` is not `token` + `izer`). */
const SEP_REQUIRED = String.raw`\\{0,3}["']?[ \t]{0,3}[:=][ \t]{0,3}\\{0,3}["']?`;
/** A value runs to the next blank, quote, or query/list delimiter. */
const KV_VALUE = String.raw`[^ \t\r\n\x00"'\\&,;<>?]`;
/**
 * `,` and `;` end a value only before a blank or another delimiter (`password=a, user=b`); inside a
 * run (`Tr0ub4dor,3horse`) they are part of it, so no tail of a password is left showing. Each
 * repetition starts with its delimiter (unambiguous, linear); three at most keeps a run of
 * `password=a;password=a;…` as cheap as before (a rejected match is retried from its next offset).
 */
const KV_RUN = String.raw`${KV_VALUE}{1,4096}(?:[,;]${KV_VALUE}{1,4096}){0,3}`;
// Anchored on the secret word itself (literals V8 finds fast); a lookbehind then reads the whole name
// (group 1) and, R2, accepts it only right after a character that cannot be part of a value, so no run
// of value characters (`token=token=token=…`) is rescanned from inside.
const kvPattern = re(
  String.raw`(?:${SECRET_NAME})(?<=(?<!${KV_VALUE})((?:[A-Za-z0-9_.-]{0,40}[_.-])?(?:${SECRET_NAME})))${SEP_REQUIRED}(${KV_RUN})(?!${KV_VALUE}|[,;]${KV_VALUE})`,
  'gi',
);

/** `password=…`, `"token": "…"`, `client_secret: …` in text: named values that pass the entropy check. */
export const namedSecret: Detector = {
  type: 'generic_secret',
  priority: 50,
  keywords: ['pass', 'pwd', 'secret', 'token', 'key', 'credential'],
  keywordsIgnoreCase: true,
  pattern: kvPattern,
  validate: (secret, ctx) => {
    const name = ctx.groups[1] ?? '';
    return namedSecretValid(name, secret) && namedSecretType(name);
  },
};

export const credentialDetectors: readonly Detector[] = [authorizationHeader, urlPassword, namedSecret];
