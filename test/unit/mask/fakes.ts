import fc from 'fast-check';

/** Generators of format-valid FAKE secrets, one per detector family. */
const chars = (alphabet: string, n: number): fc.Arbitrary<string> =>
  fc.array(fc.constantFrom(...alphabet), { minLength: n, maxLength: n }).map((a) => a.join(''));
const HEX = '0123456789abcdef';
const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const B64 = ALNUM + '+/';

function luhnComplete(body: string): string {
  for (let c = 0; c <= 9; c++) {
    const s = body + c;
    let sum = 0;
    for (let i = 0; i < s.length; i++) {
      let d = Number(s[s.length - 1 - i]);
      if (i % 2 === 1) {
        d *= 2;
        if (d > 9) d -= 9;
      }
      sum += d;
    }
    if (sum % 10 === 0) return s;
  }
  throw new Error('unreachable');
}

function ibanFor(country: string, bban: string): string {
  const num = (bban + country + '00').replace(/[A-Z]/g, (c) => String(c.charCodeAt(0) - 55));
  const check = 98 - Number(BigInt(num) % 97n);
  return `${country}${String(check).padStart(2, '0')}${bban}`;
}

const b64url = (s: string): string => Buffer.from(s).toString('base64url');

export const SECRET_KINDS = [
  'datadog_api_key_hex',
  'aws_access_key_id',
  'github_token',
  'slack_token',
  'slack_webhook',
  'stripe_key',
  'jwt',
  'private_key',
  'email',
  'credit_card',
  'iban',
  'ipv4',
  'bearer',
] as const;
export type SecretKind = (typeof SECRET_KINDS)[number];

/** For `datadog_api_key_hex` the value is bare hex: plant it under a key-like name. For `bearer`, the whole `Bearer …` string is planted and only the token is the secret. */
export function fakeSecret(kind: SecretKind | 'email'): fc.Arbitrary<string> {
  switch (kind) {
    case 'datadog_api_key_hex':
      return chars(HEX, 32);
    case 'aws_access_key_id':
      return chars('ABCDEFGHIJKLMNOPQRSTUVWXYZ234567', 16).map((s) => `AKIA${s}`);
    case 'github_token':
      return chars(ALNUM, 36).map((s) => `ghp_${s}`);
    case 'slack_token':
      return fc.tuple(chars('0123456789', 11), chars(ALNUM, 24)).map(([a, b]) => `xoxb-${a}-${b}`);
    case 'slack_webhook':
      return fc.tuple(chars('ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789', 9), chars(ALNUM, 24)).map(([a, b]) => `https://hooks.slack.com/services/T${a}/B${a}/${b}`);
    case 'stripe_key':
      return chars(ALNUM, 24).map((s) => `sk_live_${s}`);
    case 'jwt':
      return fc
        .tuple(chars(ALNUM, 8), chars(ALNUM + '-_', 43))
        .map(([sub, sig]) => `${b64url('{"alg":"HS256","typ":"JWT"}')}.${b64url(JSON.stringify({ sub, exp: 1767225600 }))}.${sig}`);
    case 'private_key':
      return fc.array(chars(B64, 64), { minLength: 2, maxLength: 4 }).map((lines) => `-----BEGIN RSA PRIVATE KEY-----\n${lines.join('\n')}\n-----END RSA PRIVATE KEY-----`);
    case 'email':
      return fc.tuple(chars('abcdefghij', 5), chars('klmnopqrst', 6)).map(([a, b]) => `${a}.x@${b}.example.com`);
    case 'credit_card':
      return chars('0123456789', 14).map((s) => luhnComplete(`4${s}`));
    case 'iban':
      return chars('0123456789', 18).map((s) => ibanFor('DE', s));
    case 'ipv4':
      return fc.tuple(fc.integer({ min: 1, max: 126 }), fc.nat(255), fc.nat(255), fc.integer({ min: 1, max: 254 })).map((o) => o.join('.'));
    case 'bearer':
      return chars(ALNUM + '._-', 32).map((s) => `${s}9`);
  }
}
