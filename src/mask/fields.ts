import type { FieldHit } from './types.js';
import { namedSecretType, namedSecretValid } from './detectors/credentials.js';
import { digitCount, isPlaceholder, ssnValid } from './validators.js';

/** `apiKey`, `DD-API-KEY`, `x-datadog-api-key` → `api_key`, `dd_api_key`, `x_datadog_api_key`. */
export function normalizeKey(key: string): string {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_');
}

const DD_API_KEY_NAME = /(?:^|_)(?:api_key|apikey)$/;
const DD_APP_KEY_NAME = /(?:^|_)(?:application_key|app_key|appkey)$/;
const AWS_SECRET_NAME = /(?:secret_access_key|aws_secret_key|aws_secret)$/;
const PRIVATE_KEY_NAME = /(?:^|_)private_key$/;
const AUTHORIZATION_NAME = /^(?:proxy_)?authorization$/;
const SECRET_NAME = /(?:^|_)(?:password|passwd|passphrase|pwd|secret|token|api_key|apikey|access_key|private_key|secret_key|client_secret|credentials?)$/;
const PHONE_NAME = /(?:^|_)(?:phone|phone_number|mobile|mobile_number|cell|telephone|tel|fax)$/;
const SSN_NAME = /(?:^|_)(?:ssn|social_security|social_security_number)$/;

type Check = (value: string, body: string) => FieldHit | undefined;

const whole = (type: string, value: string): FieldHit => ({ type, from: 0, to: value.length });

const datadogApiKey: Check = (v) => (/^[a-fA-F0-9]{32}$/.test(v) ? whole('datadog_api_key', v) : undefined);
const datadogAppKey: Check = (v) => (/^(?:[a-fA-F0-9]{40}|ddapp_[A-Za-z0-9]{20,128})$/.test(v) ? whole('datadog_app_key', v) : undefined);

const checks: readonly { name: RegExp; check: Check }[] = [
  { name: DD_API_KEY_NAME, check: datadogApiKey },
  { name: DD_APP_KEY_NAME, check: datadogAppKey },
  // Datadog's key-management responses carry the key as `"key"` (v1 api_keys, v2 api_keys and
  // application_keys attributes): a Datadog-shaped value under that bare name is a key.
  { name: /^key$/, check: (v, body) => datadogApiKey(v, body) ?? datadogAppKey(v, body) },
  { name: AWS_SECRET_NAME, check: (v) => (/^[A-Za-z0-9/+]{40}$/.test(v) ? whole('aws_secret_access_key', v) : undefined) },
  {
    name: PRIVATE_KEY_NAME,
    check: (v, body) => (v.includes('PRIVATE KEY-----') ? whole(body.includes('service_account') ? 'gcp_service_account_key' : 'private_key', v) : undefined),
  },
  {
    name: AUTHORIZATION_NAME,
    check: (v) => {
      const scheme = /^[A-Za-z][A-Za-z0-9_-]{0,20} {1,4}/.exec(v);
      const from = scheme ? scheme[0].length : 0;
      const credentials = v.slice(from);
      return credentials.length >= 8 && !isPlaceholder(credentials) ? { type: 'authorization_header', from, to: v.length } : undefined;
    },
  },
  { name: PHONE_NAME, check: (v) => (/^[0-9 +().-]{7,24}$/.test(v) && digitCount(v) >= 7 && digitCount(v) <= 15 ? whole('phone_number', v) : undefined) },
  { name: SSN_NAME, check: (v) => (ssnValid(v) ? whole('us_ssn', v) : undefined) },
];

/** Every (lower-cased) member name some rule matches ends with one of these: a cheap precheck before per-key work. */
export const FIELD_NAME_ENDINGS = ['key', 'password', 'passwd', 'passphrase', 'pwd', 'secret', 'token', 'credential', 'credentials', 'authorization', 'phone', 'number', 'mobile', 'cell', 'tel', 'fax', 'ssn', 'security'];

/** FIELD_NAME_ENDINGS by the code of their last letter, and which last two letters any of them ends with. */
const ENDINGS_BY_LAST: (string[] | undefined)[] = [];
const LAST_PAIR = new Uint8Array(128 * 128);
for (const e of FIELD_NAME_ENDINGS) {
  (ENDINGS_BY_LAST[e.charCodeAt(e.length - 1)] ??= []).push(e);
  LAST_PAIR[e.charCodeAt(e.length - 2) * 128 + e.charCodeAt(e.length - 1)] = 1;
}

/**
 * Whether the member name `s[from, to)` (raw or decoded) may end with one of FIELD_NAME_ENDINGS once
 * normalised (the check every field rule implies), without copying or lower-casing it.
 */
export function mayNameField(s: string, from: number, to: number): boolean {
  if (to - from < 3) return false;
  const last = s.charCodeAt(to - 1);
  const prev = s.charCodeAt(to - 2);
  if (last >= 0x80 || prev >= 0x80) return mayNameFieldSlow(s, from, to);
  if (LAST_PAIR[(prev | 0x20) * 128 + (last | 0x20)] === 0) return false;
  const endings = ENDINGS_BY_LAST[last | 0x20];
  if (endings === undefined) return false;
  next: for (const e of endings) {
    const n = e.length;
    if (to - from < n) continue;
    for (let k = 2; k <= n; k++) {
      const c = s.charCodeAt(to - k);
      if (c >= 0x80) return mayNameFieldSlow(s, from, to);
      if ((c | 0x20) !== e.charCodeAt(n - k)) continue next;
    }
    return true;
  }
  return false;
}

/** Non-ASCII letters can lower-case to ASCII (the Kelvin sign to `k`): compare what normalizeKey compares. */
function mayNameFieldSlow(s: string, from: number, to: number): boolean {
  const lower = s.slice(from, to).toLowerCase();
  return FIELD_NAME_ENDINGS.some((e) => lower.endsWith(e));
}

/**
 * The field checks that apply to a (normalised) key name, or undefined when the name says nothing.
 * Several may apply (`api_key` is a Datadog key when it is 32 hex, else a generic secret).
 */
export function fieldRuleFor(key: string): ((value: string, body: string) => FieldHit | undefined) | undefined {
  const applicable = checks.filter((c) => c.name.test(key)).map((c) => c.check);
  const generic = SECRET_NAME.test(key);
  if (applicable.length === 0 && !generic) return undefined;
  return (value, body) => {
    for (const check of applicable) {
      const hit = check(value, body);
      if (hit) return hit;
    }
    if (generic && namedSecretValid(key, value)) return whole(namedSecretType(key), value);
    return undefined;
  };
}
