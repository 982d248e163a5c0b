/** Pure checks that turn a pattern match into a finding (or not). No regex here may backtrack. */

/** Per-character counts for shannonEntropy (Latin-1 range), zeroed again before it returns. */
const COUNTS = new Uint32Array(256);

/** Shannon entropy in bits per character (terms summed in order of first occurrence). */
export function shannonEntropy(s: string): number {
  const n = s.length;
  if (n === 0) return 0;
  const order: number[] = [];
  let wide: Map<number, number> | undefined;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c < 256) {
      const k = COUNTS[c]!;
      if (k === 0) order.push(c);
      COUNTS[c] = k + 1;
    } else {
      wide ??= new Map();
      const k = wide.get(c);
      if (k === undefined) order.push(c);
      wide.set(c, (k ?? 0) + 1);
    }
  }
  let h = 0;
  for (const c of order) {
    let k: number;
    if (c < 256) {
      k = COUNTS[c]!;
      COUNTS[c] = 0;
    } else k = wide!.get(c)!;
    const p = k / n;
    h -= p * Math.log2(p);
  }
  return h;
}

const PLACEHOLDER = /^(?:null|none|nil|true|false|undefined|redacted|masked|hidden|secret|password|changeme|change_me|example|default|empty|n\/a|todo|xxx+|\*+|•+|-+|\.+)$/i;

/** Values that stand in for a secret rather than being one: `***`, `${env:X}`, `<token>`, `[REDACTED:…]`. */
export function isPlaceholder(value: string): boolean {
  if (value.length === 0) return true;
  if (PLACEHOLDER.test(value)) return true;
  const first = value.charCodeAt(0);
  const last = value.charCodeAt(value.length - 1);
  if (first === 0x5b /* [ */ && value.startsWith('[REDACTED')) return true;
  if (first === 0x3c /* < */ && last === 0x3e /* > */) return true;
  if ((value.startsWith('${') || value.startsWith('{{')) && last === 0x7d /* } */) return true;
  if (first === 0x25 /* % */ && last === 0x25) return true;
  let same = true;
  for (let i = 1; i < value.length && same; i++) same = value.charCodeAt(i) === first;
  return same;
}

/** Luhn checksum over a digit string. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

/** Issuer identification: the major card networks and their lengths. */
export function cardIinValid(digits: string): boolean {
  const len = digits.length;
  const p2 = Number(digits.slice(0, 2));
  const p3 = Number(digits.slice(0, 3));
  const p4 = Number(digits.slice(0, 4));
  const p6 = Number(digits.slice(0, 6));
  if (digits[0] === '4') return len === 13 || len === 16 || len === 19; // Visa
  if ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720)) return len === 16; // Mastercard
  if (p2 === 34 || p2 === 37) return len === 15; // Amex
  if (p4 === 6011 || p2 === 65 || (p3 >= 644 && p3 <= 649) || (p6 >= 622126 && p6 <= 622925)) return len >= 16 && len <= 19; // Discover
  if (p4 >= 3528 && p4 <= 3589) return len >= 16 && len <= 19; // JCB
  if ((p3 >= 300 && p3 <= 305) || p2 === 36 || p2 === 38 || p2 === 39) return len >= 14 && len <= 19; // Diners
  if (p2 === 62) return len >= 16 && len <= 19; // UnionPay
  return false;
}

const IBAN_LENGTHS: Record<string, number> = {
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BR: 29, BY: 28, CH: 21, CR: 22, CY: 28,
  CZ: 24, DE: 22, DK: 18, DO: 28, EE: 20, EG: 29, ES: 24, FI: 18, FO: 18, FR: 27, GB: 22, GE: 22, GI: 23, GL: 18,
  GR: 27, GT: 28, HR: 21, HU: 28, IE: 22, IL: 23, IQ: 23, IS: 26, IT: 27, JO: 30, KW: 30, KZ: 20, LB: 28, LC: 32,
  LI: 21, LT: 20, LU: 20, LV: 21, MC: 27, MD: 24, ME: 22, MK: 19, MR: 27, MT: 31, MU: 30, NL: 18, NO: 15, PK: 24,
  PL: 28, PS: 29, PT: 25, QA: 29, RO: 24, RS: 22, SA: 24, SC: 31, SE: 24, SI: 19, SK: 24, SM: 27, ST: 25, SV: 28,
  TL: 23, TN: 24, TR: 26, UA: 29, VA: 22, VG: 24, XK: 20,
};

/** IBAN: known country length and ISO 7064 mod 97 = 1. Spaces allowed. */
export function ibanValid(candidate: string): boolean {
  const iban = candidate.replaceAll(' ', '');
  const expected = IBAN_LENGTHS[iban.slice(0, 2)];
  if (expected === undefined || iban.length !== expected) return false;
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  let rem = 0;
  for (let i = 0; i < rearranged.length; i++) {
    const c = rearranged.charCodeAt(i);
    if (c >= 48 && c <= 57) rem = (rem * 10 + (c - 48)) % 97;
    else if (c >= 65 && c <= 90) rem = (rem * 100 + (c - 55)) % 97;
    else return false;
  }
  return rem === 1;
}

function base64UrlDecode(s: string): string | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(s) || s.length % 4 === 1) return undefined;
  return Buffer.from(s, 'base64url').toString('utf8');
}

/** A JWS: base64url JSON header object with a string `alg`, payload that decodes to a JSON object. */
export function jwtValid(token: string): boolean {
  const parts = token.split('.');
  if (parts.length !== 3) return false;
  try {
    const header: unknown = JSON.parse(base64UrlDecode(parts[0] ?? '') ?? '');
    if (typeof header !== 'object' || header === null || typeof (header as { alg?: unknown }).alg !== 'string') return false;
    const payload: unknown = JSON.parse(base64UrlDecode(parts[1] ?? '') ?? '');
    return typeof payload === 'object' && payload !== null;
  } catch {
    return false;
  }
}

/** `Basic` credentials: base64 of `user:password`, printable. */
export function basicCredentialsValid(b64: string): boolean {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64) || b64.length % 4 !== 0) return false;
  const text = Buffer.from(b64, 'base64').toString('latin1');
  return text.includes(':') && /^[\x20-\x7e]+$/.test(text);
}

/** IPv6 text form (RFC 4291 2.2), without the embedded-IPv4 tail; not loopback or unspecified. */
export function ipv6Valid(s: string): boolean {
  const double = s.indexOf('::');
  if (double !== s.lastIndexOf('::')) return false;
  if (s.includes(':::')) return false;
  const groups = s.split(':');
  let hex = 0;
  for (const g of groups) {
    if (g.length === 0) continue;
    if (g.length > 4) return false;
    hex++;
  }
  if (double < 0) {
    if (groups.length !== 8 || hex !== 8) return false;
  } else {
    if (hex > 7 || hex < 2) return false;
    if (s.startsWith(':') && !s.startsWith('::')) return false;
    if (s.endsWith(':') && !s.endsWith('::')) return false;
  }
  return true;
}

/** Loopback, unspecified, broadcast and netmask-like addresses are not personal data. */
export function ipv4Interesting(s: string): boolean {
  return !(s.startsWith('127.') || s.startsWith('0.') || s.startsWith('255.'));
}

/** SSN area/group/serial rules (SSA): no 000/666/9xx area, no 00 group, no 0000 serial. */
export function ssnValid(s: string): boolean {
  const d = s.replace(/[- ]/g, '');
  if (d.length !== 9) return false;
  const area = d.slice(0, 3);
  if (area === '000' || area === '666' || area[0] === '9') return false;
  if (d.slice(3, 5) === '00' || d.slice(5) === '0000') return false;
  // A separated SSN uses one separator consistently.
  const seps = s.replace(/[0-9]/g, '');
  return seps === '' || seps === '--' || seps === '  ';
}

/** Number of digits in a phone candidate, separators ignored. */
export function digitCount(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) n++;
  }
  return n;
}
