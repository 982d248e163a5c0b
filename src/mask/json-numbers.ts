import { IS_KEY, type JsonStrings } from './json-walker.js';
import { floorIndex } from './scan.js';
import { cardIinValid, luhnValid } from './validators.js';
import type { Span } from './types.js';

/** Member names under which a long number is an identifier or a measure, never a card (as for strings). */
const ID_KEY = /(?:^|_)(?:id|ids|trace|span|uuid|hash|sha|checksum|digest|timestamp|ts|time|seq|sequence|version|count|offset|value|values)(?:_|$)/;

/**
 * Card numbers written as JSON numbers (`"pan": 4111111111111111`): string detectors never see them.
 * Each is an integer token (noted by the walker as it read it) that passes the IIN and Luhn checks and
 * is not under an id-like member name; it is replaced by a quoted redaction (JSON stays valid). Every other number,
 * 64-bit integers included, is left byte for byte.
 */
export function cardNumberSpans(src: string, strings: JsonStrings, keyName: (tok: number) => string, location: (keyTok: number, at: number) => string, allowed: (keyTok: number) => boolean): Span[] {
  const out: Span[] = [];
  // The walker noted every bare integer of a card's length as it read it (no second pass over the text).
  const ints = strings.cardLengthIntegers;
  for (let k = 0; k < ints.length; k += 2) {
    const at = ints[k]!;
    const t = floorIndex(strings.start, at);
    const digits = src.slice(at, ints[k + 1]!);
    if (!cardIinValid(digits) || !luhnValid(digits)) continue;
    // The member name right before `: <number>`, when the number is a member value.
    const keyTok = t >= 0 && (strings.flags[t]! & IS_KEY) !== 0 && /^"[ \t\r\n]*:[ \t\r\n]*$/.test(src.slice(strings.end[t]!, at)) ? t : -1;
    if (keyTok >= 0 && (ID_KEY.test(keyName(keyTok)) || allowed(keyTok))) continue;
    out.push({ start: at, end: at + digits.length, type: 'credit_card', priority: 40, value: digits, location: location(keyTok, at), quote: true });
  }
  return out;
}
