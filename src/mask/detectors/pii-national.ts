import type { Detector } from '../types.js';
import { digitCount, ipv6Valid } from '../validators.js';
import { nineDigitRun, notInNumericRun, piiPrecheck } from './pii.js';

/**
 * PII formats beyond E.164: national phone numbers (trunk prefix `0`, as the UK, Germany, France,
 * Japan, Australia, the Netherlands, India and Italy print them; Brazil's `(11) 9xxxx-xxxx`),
 * UK National Insurance numbers, and IPv6 addresses as tag values (`client_ip:2001:db8::1`).
 * Formats from the ITU-T E.164 national plans and HMRC's NINO rules, as Presidio's recognisers
 * describe them; every alternative holds at least nine digits, so the shared PII precheck sees it.
 */
const re = (source: string, flags = 'g'): RegExp => new RegExp(source, flags);

const S = '[ .-]';
const NATIONAL = [
  String.raw`0[1-9][0-9]{0,3}${S}[0-9]{3,4}${S}[0-9]{4}`,
  String.raw`0[1-9][0-9]{2,3}${S}[0-9]{3}${S}[0-9]{3}`,
  String.raw`0[1-9]${S}[0-9]{2}${S}[0-9]{2}${S}[0-9]{2}${S}[0-9]{2}`,
  String.raw`0[1-9][0-9]{1,3}${S}[0-9]{6,8}`,
  String.raw`0[1-9]${S}[0-9]{8}`,
  String.raw`\(0[1-9][0-9]{0,3}\)[ ]?[0-9]{3,4}${S}?[0-9]{4}`,
  String.raw`\(0[1-9][0-9]{1,3}\)[ ]?[0-9]{6,8}`,
  String.raw`\([1-9][0-9]\)[ ]?9?[0-9]{4}-[0-9]{4}`,
].join('|');

/** One separator throughout (after a closing parenthesis a blank may differ). */
function separatorsConsistent(candidate: string): boolean {
  const body = candidate.includes(')') ? candidate.slice(candidate.indexOf(')') + 1).trimStart() : candidate;
  const seps = body.replace(/[0-9]/g, '');
  return seps.length === 0 || [...seps].every((c) => c === seps[0]) || /^\(/.test(candidate);
}

export const nationalPhone: Detector = {
  type: 'phone_number',
  priority: 20,
  keywords: [],
  precheck: piiPrecheck,
  precheckNeeds: nineDigitRun,
  pattern: re(String.raw`(?<![0-9A-Za-z+.(-])(?:${NATIONAL})(?![0-9A-Za-z]|[.-][0-9])`),
  validate: (candidate, ctx) => {
    const n = digitCount(candidate);
    if (n < 9 || n > 12 || !separatorsConsistent(candidate)) return false;
    const before = ctx.text.slice(Math.max(0, ctx.index - 12), ctx.index).toLowerCase();
    return !/(?:^|[^a-z0-9])(?:id|version|v)["']?[ \t]{0,2}[:=]?[ \t]{0,2}["']?$/.test(before);
  },
};

/** HMRC: no D, F, I, Q, U, V first; no D, F, I, O, Q, U, V second; never BG, GB, KN, NK, NT, TN, ZZ; suffix A-D. */
const NINO_BANNED = new Set(['BG', 'GB', 'KN', 'NK', 'NT', 'TN', 'ZZ']);

export const ukNino: Detector = {
  type: 'uk_nino',
  priority: 40,
  keywords: [],
  precheck: piiPrecheck,
  precheckNeeds: notInNumericRun,
  pattern: re(String.raw`(?<![A-Za-z0-9])[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z](?: ?[0-9]{2}){3} ?[A-D](?![A-Za-z0-9])`),
  validate: (s) => {
    if (NINO_BANNED.has(s.slice(0, 2))) return false;
    const spaces = s.split(' ').length - 1;
    return spaces === 0 || spaces === 4;
  },
};

/** `client_ip:2001:db8::1` in a tag list: the tag name ends at the first colon, the rest is the address. */
export const ipv6TagValue: Detector = {
  type: 'ipv6',
  priority: 20,
  keywords: [],
  precheck: piiPrecheck,
  precheckNeeds: notInNumericRun,
  // Anchored on the colon; what follows must read as IPv6 before the tag name is checked behind it.
  pattern: re(String.raw`:(?=[0-9A-Fa-f]{0,4}:(?::|[0-9A-Fa-f]{1,4}:))(?<=(?<![A-Za-z0-9_./-])[A-Za-z][A-Za-z0-9_./-]{0,60}:)([0-9A-Fa-f]{0,4}:[0-9A-Fa-f:]{1,40})(?![0-9A-Za-z:.])`),
  validate: (ip) => /[0-9]/.test(ip) && ipv6Valid(ip) && ip !== '::1' && ip !== '::',
};

export const nationalPiiDetectors: readonly Detector[] = [nationalPhone, ukNino, ipv6TagValue];
