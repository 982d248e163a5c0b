import type { Detector, MatchContext, PrecheckHits } from '../types.js';
import { cardIinValid, digitCount, ibanValid, ipv4Interesting, ipv6Valid, luhnValid, ssnValid } from '../validators.js';

const re = (source: string, flags = 'g'): RegExp => new RegExp(source, flags);

/** File names (`icon@2x.png`) look like addresses; these "TLDs" are extensions. */
const FILE_TLD = /^(?:png|jpe?g|gif|svg|webp|ico|bmp|js|mjs|css|map|json|ya?ml|txt|log|ts|tsx|html?|xml|pdf|zip|gz)$/i;

/** Numbers under an id-like name (trace, span, order ids) are identifiers, not cards or phones. */
const ID_KEY = /(?:^|_)(?:id|ids|trace|span|uuid|hash|sha|checksum|digest|timestamp|ts|time|seq|sequence|version|count|offset)(?:_|$)/;

function idContext(ctx: MatchContext): boolean {
  if (ctx.key !== undefined && ID_KEY.test(ctx.key)) return true;
  const before = ctx.text.slice(Math.max(0, ctx.index - 12), ctx.index).toLowerCase();
  // `id` as a word of its own (order_id:, "id": …), not the end of a token that happens to end in "id".
  return /(?:^|[^A-Za-z0-9])id["']?[ \t]{0,2}[:=][ \t]{0,2}["']?$/.test(before);
}

/**
 * Where the unanchored PII patterns below can match, found in one pass instead of one per pattern.
 * Every card, SSN, North-American phone and IPv4 match starts after a character that is not a letter
 * or digit (or at the start) and lies in a run of digits and separators: the first alternative reads
 * that character and the run whole (digits inside hex ids cost no attempt, a long run one step), skips
 * runs opening with 17+ digits (ids: no such match can start there), and `numericRunFact` keeps a
 * run with 9 digits or 3 dots, or, without separators, of exactly 9, 15 or 16 digits. IBANs start
 * with two capitals and two digits (UK NI numbers too, perhaps with a blank between); IPv6 text forms hold `::` or three colons around hex groups;
 * international phones start with `+` and a digit (found by indexOf: `+` is rare). Linear: bounded
 * repeats (R4), and a matched run is never rescanned.
 */
const PII_PRECHECK = /(?:^|[^0-9A-Za-z])([0-9](?![0-9]{16})[0-9 .()-]{5,4096}[0-9])|[A-Z]{2} ?[0-9]{2}|:(?::|[0-9A-Fa-f]{1,4}:[0-9A-Fa-f]{1,4}:)/g;

/**
 * The fact piiPrecheck gives a numeric run that may hold a match: its digits and dots, packed
 * (dots × 65536 + digits); -1 for a run of 4096 characters or more (it may be cut short); -2 for a
 * run that cannot hold a match (not kept).
 */
function numericRunFact(run: string): number {
  if (run.length >= 4096) return -1;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < run.length; i++) {
    const c = run.charCodeAt(i);
    if (c >= 0x30 && c <= 0x39) digits++;
    else if (c === 0x2e) dots++;
  }
  if (digits === run.length) return digits === 9 || digits === 15 || digits === 16 ? digits : -2;
  return digits >= 9 || dots >= 3 ? dots * 65536 + digits : -2;
}

/**
 * Offsets where a gated PII pattern may match, each with its fact: a numeric run's digits and
 * dots, or -1 for the other finds (capitals and digits, colon forms, `+` and a digit), after which
 * every gated detector runs. A match of a detector that reads runs lies inside one whole run the
 * precheck kept: the run alternative starts at the character before it (or is already inside an
 * earlier run that runs on through it, as runs are maximal), so that run holds at least its
 * digits and dots. A match of the others (IBAN, NI numbers, IPv6) always gets a -1 find of its own.
 */
export function piiPrecheck(text: string): PrecheckHits {
  const offsets: number[] = [];
  const facts: number[] = [];
  PII_PRECHECK.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = PII_PRECHECK.exec(text)) !== null) {
    const run = m[1];
    if (run === undefined) {
      offsets.push(m.index);
      facts.push(-1);
      continue;
    }
    const fact = numericRunFact(run);
    if (fact === -2) continue;
    offsets.push(m.index + m[0].length - run.length);
    facts.push(fact);
  }
  for (let i = text.indexOf('+'); i >= 0; i = text.indexOf('+', i + 1)) {
    const d = text.charCodeAt(i + 1);
    if (d >= 0x31 && d <= 0x39) {
      offsets.push(i);
      facts.push(-1);
    }
  }
  return { offsets, facts };
}

/** For precheckNeeds: a numeric run with at least this many digits and dots. */
export function numericRunWith(minDigits: number, minDots = 0): (fact: number) => boolean {
  return (fact) => fact % 65536 >= minDigits && Math.floor(fact / 65536) >= minDots;
}

/** For precheckNeeds: a run that may hold an SSN or a national phone number (9 digits or more). */
export const nineDigitRun = numericRunWith(9);

/** For precheckNeeds: a pattern whose matches never lie in a bare numeric run (they hold letters or colons). */
export const notInNumericRun = (): boolean => false;

/** Whether `index` lies in the userinfo of a URL (`scheme://user:pass` with no `/`, blank or `@` since `://`). */
export function inUrlUserinfo(text: string, index: number): boolean {
  const before = text.slice(Math.max(0, index - 400), index);
  const at = before.lastIndexOf('://');
  return at >= 0 && !/[ \t\r\n/?#@"'<>\\]/.test(before.slice(at + 3)) && before.slice(at + 3).includes(':');
}

export const email: Detector = {
  type: 'email',
  priority: 30,
  keywords: ['@'],
  // Anchored on `@` (found fast); the local part is group 1 inside a leading lookbehind.
  pattern: re(String.raw`@(?<=(?<![A-Za-z0-9._%+-])([A-Za-z0-9._%+-]{1,64})@)[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,24}(?![A-Za-z0-9-])`, 'gd'),
  leadingGroup: true,
  validate: (address, ctx) => {
    if (FILE_TLD.test(address.slice(address.lastIndexOf('.') + 1))) return false;
    // `scheme://user:password@host` belongs to url_password; the host is not an address, nor is
    // the tail of a password the local-part class stops short of (`S3cr!t@db`: `t@db.internal`).
    return !inUrlUserinfo(ctx.text, ctx.index);
  },
};

const OCTET = '(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])';

export const ipv4: Detector = {
  type: 'ipv4',
  priority: 20,
  keywords: [],
  precheck: piiPrecheck,
  precheckNeeds: numericRunWith(0, 3),
  pattern: re(String.raw`(?<![0-9A-Za-z.])${OCTET}\.${OCTET}\.${OCTET}\.${OCTET}(?![0-9A-Za-z]|\.[0-9])`),
  validate: (ip) => ipv4Interesting(ip),
};

export const ipv6: Detector = {
  type: 'ipv6',
  priority: 20,
  keywords: [],
  precheck: piiPrecheck,
  precheckNeeds: notInNumericRun,
  // Anchored on its first colon (a literal V8 finds fast); the leading hex group sits in a lookbehind.
  // Two colons up front (every IPv6 text form has them) keep hex words and `key:value` tags out.
  // The lookahead asks for what every valid form has past its first colon (`::` or `h:h:`): the
  // precheck looks for the same, so no match can fall outside the segments it points at.
  pattern: re(String.raw`:(?<=(?<![0-9A-Za-z:.])([0-9A-Fa-f]{0,4}):)(?=:|[0-9A-Fa-f]{1,4}:[0-9A-Fa-f]{0,4}:)[0-9A-Fa-f]{0,4}:[0-9A-Fa-f:]{0,35}(?![0-9A-Za-z:])`, 'gd'),
  leadingGroup: true,
  validate: (s) => s.includes(':') && ipv6Valid(s) && s !== '::1',
};

/** Printed groupings: 4-4-4-4, 4-4-4-4-1..4, 4-6-4, 4-6-5, one separator throughout; bare: 15 or 16 digits. */
function cardGroupsValid(candidate: string): boolean {
  const groups: number[] = [];
  let sep = 0;
  let run = 0;
  for (let i = 0; i < candidate.length; i++) {
    const c = candidate.charCodeAt(i);
    if (c >= 0x30 && c <= 0x39) {
      run++;
      continue;
    }
    if (sep === 0) sep = c;
    else if (c !== sep) return false;
    groups.push(run);
    run = 0;
  }
  groups.push(run);
  if (sep === 0) return run === 15 || run === 16;
  const [a, b, c, d, e] = groups;
  if (groups.length === 3) return a === 4 && b === 6 && (c === 4 || c === 5);
  if (a !== 4 || b !== 4 || c !== 4 || d !== 4) return false;
  return groups.length === 4 || (groups.length === 5 && e! >= 1 && e! <= 4);
}

export const creditCard: Detector = {
  type: 'credit_card',
  priority: 40,
  keywords: [],
  precheck: piiPrecheck,
  precheckNeeds: numericRunWith(13),
  // Bare runs of 15-16 digits, or the printed groupings (4-4-4-4[-3], 4-4-4-1..4, 4-6-4/5); not 19-digit ids.
  pattern: re(
    String.raw`(?<![0-9A-Za-z_.-])(?:[0-9]{15,16}|[0-9]{4}[ -][0-9]{4}[ -][0-9]{4}[ -][0-9]{1,4}(?:[ -][0-9]{3})?|[0-9]{4}[ -][0-9]{6}[ -][0-9]{4,5})(?![0-9A-Za-z_]|[.-][0-9])`,
  ),
  validate: (candidate, ctx) => {
    if (!cardGroupsValid(candidate)) return false;
    const digits = candidate.replace(/[ -]/g, '');
    return cardIinValid(digits) && luhnValid(digits) && !idContext(ctx);
  },
};

export const iban: Detector = {
  type: 'iban',
  priority: 40,
  keywords: [],
  precheck: piiPrecheck,
  precheckNeeds: notInNumericRun,
  pattern: re(String.raw`(?<![A-Za-z0-9])[A-Z]{2}[0-9]{2}(?:[ ]?[A-Z0-9]){11,30}(?![A-Za-z0-9])`),
  // `DE89… 1234`: the pattern may take a trailing group that is not part of the IBAN; try shorter cuts at spaces.
  validate: (candidate) => {
    for (let cut = candidate.length; cut > 0; cut = candidate.lastIndexOf(' ', cut - 1)) {
      if (ibanValid(candidate.slice(0, cut))) return { length: cut };
    }
    return false;
  },
};

const SSN_CONTEXT = /ssn|social[ _-]?security|ss#/;

export const usSsn: Detector = {
  type: 'us_ssn',
  priority: 40,
  // Its validator demands the context (key name or nearby words): no keyword precheck needed.
  keywords: [],
  precheck: piiPrecheck,
  precheckNeeds: nineDigitRun,
  pattern: re(String.raw`(?<![0-9A-Za-z-])[0-9]{3}[- ]?[0-9]{2}[- ]?[0-9]{4}(?![0-9A-Za-z]|-[0-9])`),
  validate: (candidate, ctx) => {
    if (!ssnValid(candidate)) return false;
    if (ctx.key !== undefined && SSN_CONTEXT.test(ctx.key)) return true;
    return SSN_CONTEXT.test(ctx.text.slice(Math.max(0, ctx.index - 40), ctx.index).toLowerCase());
  },
};

/** `+` international numbers and separated North-American numbers; bare digit runs never (timestamps, values). */
export const phoneNumber: Detector = {
  type: 'phone_number',
  priority: 20,
  keywords: [],
  precheck: piiPrecheck,
  precheckNeeds: numericRunWith(10),
  pattern: re(
    String.raw`(?<![0-9A-Za-z+.-])(?:\+[1-9][0-9 ().-]{6,20}[0-9]|(?:\([2-9][0-9]{2}\)[ ]?|[2-9][0-9]{2}[-. ])[2-9][0-9]{2}[-. ][0-9]{4})(?![0-9A-Za-z]|[.-][0-9])`,
  ),
  validate: (candidate, ctx) => {
    if (idContext(ctx)) return false;
    const n = digitCount(candidate);
    if (candidate.startsWith('+')) {
      if (n < 8 || n > 15) return false;
      if (/[ .-]{2}|\(\)|[.][ ]|[ ][.]/.test(candidate)) return false;
      const opens = candidate.split('(').length - 1;
      return opens === candidate.split(')').length - 1 && opens <= 1;
    }
    if (candidate.startsWith('(')) return true;
    // 555-123-4567 / 555.123.4567 / 555 123 4567: one separator throughout.
    return candidate[3] === candidate[7];
  },
};

export const piiDetectors: readonly Detector[] = [creditCard, iban, usSsn, email, ipv4, ipv6, phoneNumber];
