import type { Detector, MatchContext } from '../types.js';
import { isPlaceholder, shannonEntropy } from '../validators.js';
import { INDIRECTION, UUID_SHAPE, secretNameKind, type SecretNameKind } from './names.js';

/**
 * Passwords and secrets written in the syntax of other languages: assignments in any config or
 * source syntax (`dbPassword: …`, `app.config['SECRET_KEY'] = …`, `$pass => …`), command-line
 * flags, rc files (.npmrc, .netrc), SQL and XML. A name counts by its words (names.ts), and the
 * value must pass an entropy check, instead of a longer list of whole key names.
 */
const re = (source: string, flags = 'g'): RegExp => new RegExp(source, flags);

/** Same value alphabet as credentials.ts: a value runs to a blank, quote, or query/list delimiter. */
const VALUE = String.raw`[^ \t\r\n\x00"'\\&,;<>?]`;
const RUN = String.raw`${VALUE}{1,4096}(?:[,;]${VALUE}{1,4096}){0,3}`;
const STEMS = 'pass|pwd|secret|token|key|cred|auth|salt|signature';
/** The name: word characters around a stem, starting right after a character no value holds (R2). */
const NAME = String.raw`(?:${STEMS})(?<=(?<!${VALUE})[$@]?([A-Za-z0-9_.-]{0,48}(?:${STEMS})))([A-Za-z0-9_.-]{0,32})`;
/** `=`, `:`, `:=`, `=>`, `==`, after an optional closing quote or `']` (subscripts), blanks around. */
const ASSIGN = String.raw`\\{0,3}(?:["'\x60]\]?|\])?[ \t]{0,3}(?:=>|[:=]=?)[ \t]{0,3}`;

/** Whether a value under a secret-ish name is a credential (not a reference, placeholder or word). */
export function assignedValueValid(kind: SecretNameKind, value: string, declared = false): boolean {
  if (isPlaceholder(value) || INDIRECTION.test(value)) return false;
  // Where the syntax itself declares a password (an XML element, a key/value attribute pair), any
  // non-placeholder value is one; a free-text assignment also needs some entropy.
  if (kind === 'password') return declared ? value.length >= 4 && value.length <= 256 : value.length >= 6 && value.length <= 128 && shannonEntropy(value) >= 2;
  if (value.length < 16 || UUID_SHAPE.test(value) || /^[0-9.:-]+$/.test(value)) return false;
  return /[0-9]/.test(value) && /[A-Za-z]/.test(value) && shannonEntropy(value) >= 3.3;
}

const nameOf = (ctx: MatchContext): string => `${ctx.groups[1] ?? ''}${ctx.groups[2] ?? ''}`;

/** `name <assign> value` in any syntax, the value bare or opening with a quote (it stops at the quote). */
export const assignedSecret: Detector = {
  type: 'generic_secret',
  priority: 45,
  keywords: ['pass', 'pwd', 'secret', 'token', 'key', 'cred', 'auth', 'salt', 'signature'],
  keywordsIgnoreCase: true,
  pattern: re(String.raw`${NAME}${ASSIGN}\\{0,3}["'\x60]?(${RUN})(?!${VALUE}|[,;]${VALUE})`, 'gi'),
  validate: (value, ctx) => {
    const kind = secretNameKind(nameOf(ctx));
    return kind !== undefined && assignedValueValid(kind, value) && kind;
  },
};

/** A quoted password may hold blanks (`password = "correct horse battery staple"`): the whole quoted text. */
export const quotedPassword: Detector = {
  type: 'password',
  priority: 46,
  keywords: ['pass', 'pwd'],
  keywordsIgnoreCase: true,
  pattern: re(String.raw`${NAME}${ASSIGN}\\{0,3}["']([^"'\\\r\n\x00]{1,128})(?=\\{0,3}["'])`, 'gi'),
  validate: (value, ctx) => secretNameKind(nameOf(ctx)) === 'password' && value.includes(' ') && value.trim().length >= 6 && !isPlaceholder(value.trim()),
};

/** `--password x`, `--token=x`, `docker login -p x`, `mysql -px`, `curl -u user:x`. */
const FLAG = String.raw`password|passwd|pass|token|api-key|apikey|auth-token|access-token|secret|client-secret|registry-password|oauth-token|private-token`;
const LOGIN_LINE = /(?:docker|podman|nerdctl|buildah|skopeo|oras|helm(?: registry)?|crane|regctl)[ \t]+(?:[a-z-]+[ \t]+)?login\b|\bmysql(?:dump|admin|sh)?\b/;
const CURL_LINE = /\b(?:curl|wget)\b/;

function lineBefore(ctx: MatchContext): string {
  const from = Math.max(0, ctx.index - 512);
  const before = ctx.text.slice(from, ctx.index);
  const nl = before.lastIndexOf('\n');
  return nl >= 0 ? before.slice(nl + 1) : before;
}

export const cliSecretFlag: Detector = {
  type: 'password',
  priority: 55,
  // The flags by name, and the words the validator asks the line to hold for `-p` and `-u`.
  keywords: ['--', 'login', 'mysql', 'curl', 'wget'],
  pattern: re(String.raw`(?<![A-Za-z0-9_-])(?:--(?:${FLAG})(?:=|[ \t]{1,4})|-p[ \t]{0,3}|-u[ \t]{1,3}[^ \t\r\n:"']{1,64}:|--user[ =][^ \t\r\n:"']{1,64}:)["']?([^ \t\r\n\x00"'\\]{1,512})`, 'g'),
  validate: (value, ctx) => {
    if (value.startsWith('-') || value.startsWith('$') || isPlaceholder(value) || INDIRECTION.test(value)) return false;
    const flag = ctx.match.slice(0, 3);
    if (flag === '-p ' || flag.startsWith('-p')) {
      if (!LOGIN_LINE.test(lineBefore(ctx)) || /^[0-9]+$/.test(value) || value.length < 6) return false;
      return 'password';
    }
    if (flag.startsWith('-u') || ctx.match.startsWith('--user')) return CURL_LINE.test(lineBefore(ctx)) && value.length >= 4 && 'password';
    const name = ctx.match.slice(2).replace(/[= \t"'].*$/s, '');
    if (/pass/.test(name)) return value.length >= 4 && 'password';
    return value.length >= 12 && shannonEntropy(value) >= 3 && 'generic_secret';
  },
};

/** .npmrc / .yarnrc: `//registry.npmjs.org/:_authToken=…`, `_auth=…` (base64 user:pass), `_password=…`. */
export const npmrcAuth: Detector = {
  type: 'registry_token',
  priority: 70,
  keywords: ['auth', 'pass'],
  keywordsIgnoreCase: true,
  pattern: re(String.raw`(?<![A-Za-z0-9])_(?:authToken|auth|password)[ \t]{0,3}=[ \t]{0,3}["']?([^ \t\r\n\x00"'\\]{4,4096})`, 'gi'),
  validate: (value, ctx) => {
    if (isPlaceholder(value) || INDIRECTION.test(value)) return false;
    return ctx.match.slice(1, 10).toLowerCase() === 'authtoken' ? 'registry_token' : 'password';
  },
};

/** .netrc: `machine h login u password p` (blank-separated, no `=`). */
export const netrcPassword: Detector = {
  type: 'password',
  priority: 55,
  keywords: ['machine'],
  keywordsIgnoreCase: true,
  pattern: re(String.raw`(?<![A-Za-z0-9_-])password[ \t]{1,8}([^ \t\r\n\x00"'\\]{1,256})`, 'g'),
  validate: (value, ctx) => !isPlaceholder(value) && /(?:^|[\s"])(?:machine|default)[ \t]+\S/.test(ctx.text.slice(Math.max(0, ctx.index - 400), ctx.index)),
};

/** SQL: `PASSWORD '…'`, `IDENTIFIED BY '…'` / `"…"` / bare, `PASSWORD('…')`; `''` is a quote inside. */
const SQL_LEAD = String.raw`(?<![A-Za-z0-9_])(?:password(?:[ \t]{0,4}=[ \t]{0,3}(?:password[ \t]{0,2}\([ \t]{0,2})?|[ \t]{0,2}\([ \t]{0,2}|[ \t]{1,4})|identified[ \t]{1,4}(?:with[ \t]{1,4}[a-z_]{1,40}[ \t]{1,4})?(?:by|as)[ \t]{1,4})`;
const SQL_IDENTIFIED = String.raw`(?<![A-Za-z0-9_])identified[ \t]{1,4}(?:with[ \t]{1,4}[a-z_]{1,40}[ \t]{1,4})?(?:by|as)[ \t]{1,4}`;
const sql = (lead: string, value: string): Detector => ({
  type: 'password',
  priority: 55,
  keywords: ['pass', 'identified'],
  keywordsIgnoreCase: true,
  pattern: re(`${lead}${value}`, 'gi'),
  validate: (v) => v.length >= 4 && !isPlaceholder(v) && !INDIRECTION.test(v),
});
export const sqlPassword: readonly Detector[] = [
  sql(SQL_LEAD, String.raw`'((?:[^'\r\n\x00]|''){1,256})(?=')`),
  sql(SQL_LEAD, String.raw`"([^"\r\n\x00]{1,256})(?=")`),
  // A bare word is SQL only after IDENTIFIED BY (`password expired` is prose).
  sql(SQL_IDENTIFIED, String.raw`([A-Za-z0-9_#$!@%^*+=~.-]{4,128})(?![A-Za-z0-9_#$!@%^*+=~.-])`),
];

/** XML elements whose name (or `key=`/`name=` attribute) is secret-ish: `<wsse:Password …>v</wsse:Password>`. */
export const xmlElementSecret: Detector = {
  type: 'password',
  priority: 55,
  keywords: ['</'],
  pattern: re(String.raw`<([A-Za-z_][A-Za-z0-9_.-]{0,40}:)?([A-Za-z_][A-Za-z0-9_.-]{0,60})([ \t\r\n][^<>]{0,512})?>([^<>]{1,2048})(?=</)`, 'g'),
  validate: (value, ctx) => {
    const prefix = ctx.groups[1] ?? '';
    const name = ctx.groups[2] ?? '';
    if (!ctx.text.startsWith(`</${prefix}${name}>`, ctx.index + value.length)) return false;
    let kind = secretNameKind(name);
    if (kind === undefined) {
      const attr = /(?:^|[ \t\r\n])(?:key|name)[ \t]*=[ \t]*["']([^"']{1,120})["']/.exec(ctx.groups[3] ?? '');
      kind = attr ? secretNameKind(attr[1]!) : undefined;
    }
    if (kind === undefined) return false;
    const v = value.trim();
    if (v.length === 0 || v.startsWith('<![CDATA[')) return false;
    return assignedValueValid(kind, v, true) && kind;
  },
};

/** .NET / Spring style `<add key="DbPassword" value="…"/>`, `<property name="token" value="…"/>`. */
export const xmlKeyValueSecret: Detector = {
  type: 'password',
  priority: 55,
  keywords: ['value='],
  keywordsIgnoreCase: true,
  pattern: re(String.raw`(?<![A-Za-z0-9_-])(?:key|name)[ \t]{0,2}=[ \t]{0,2}["']([^"'<>\r\n]{1,120})["'][ \t\r\n]{1,8}value[ \t]{0,2}=[ \t]{0,2}["']([^"'<>\r\n]{1,1024})(?=["'])`, 'gi'),
  validate: (value, ctx) => {
    const kind = secretNameKind(ctx.groups[1] ?? '');
    return kind !== undefined && assignedValueValid(kind, value, true) && kind;
  },
};

export const configSyntaxDetectors: readonly Detector[] = [
  assignedSecret,
  quotedPassword,
  cliSecretFlag,
  npmrcAuth,
  netrcPassword,
  ...sqlPassword,
  xmlElementSecret,
  xmlKeyValueSecret,
];
