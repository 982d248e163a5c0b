import type { Detector } from '../types.js';
import { digitCount } from '../validators.js';

/**
 * Secrets whose encoding the structure declares: base64 PEM private keys (a Kubernetes Secret's
 * `data`, Helm values), base64 Docker config JSON (`.dockerconfigjson`), and percent-encoded e-mail
 * addresses and phone numbers in query strings and form bodies (RFC 3986 / WHATWG urlencoded).
 */
const re = (source: string, flags = 'g'): RegExp => new RegExp(source, flags);

function b64Head(s: string, chars: number): string {
  return Buffer.from(s.slice(0, chars - (chars % 4)), 'base64').toString('latin1');
}

/** `LS0tLS1CRUdJTi…` is base64 of `-----BEGIN`: a private key once decoded (certificates stay). */
export const base64PrivateKey: Detector = {
  type: 'private_key',
  priority: 90,
  keywords: ['LS0tLS1CRUdJTi'],
  pattern: re(String.raw`(?<![A-Za-z0-9+/])LS0tLS1CRUdJTi[A-Za-z0-9+/]{20,131072}={0,2}(?![A-Za-z0-9+/=])`),
  validate: (b64) => /^-----BEGIN[A-Z0-9 ]{0,40}PRIVATE KEY/.test(b64Head(b64, 80)),
};

/** `eyJhdXRocyI6` is base64 of `{"auths":`: registry credentials of a Docker config. */
export const base64DockerConfig: Detector = {
  type: 'docker_config_auth',
  priority: 88,
  keywords: ['eyJhdXRocyI6'],
  pattern: re(String.raw`(?<![A-Za-z0-9+/])eyJhdXRocyI6[A-Za-z0-9+/]{16,131072}={0,2}(?![A-Za-z0-9+/=])`),
  validate: (b64) => /"(?:auth|password|identitytoken)"/.test(Buffer.from(b64, 'base64').toString('latin1')),
};

function percentDecode(s: string): string | undefined {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

const FILE_TLD = /^(?:png|jpe?g|gif|svg|webp|js|css|json|ya?ml|txt|log|html?|xml)$/i;

/** `jane.doe%40example.com`: anchored on `%40`; the local part is group 1 inside a lookbehind. */
export const percentEncodedEmail: Detector = {
  type: 'email',
  priority: 30,
  keywords: ['%40'],
  keywordsIgnoreCase: true,
  pattern: re(String.raw`%40(?<=(?<![A-Za-z0-9._%+-])([A-Za-z0-9._+-][A-Za-z0-9._%+-]{0,95})%40)[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,24}(?![A-Za-z0-9-])`, 'gid'),
  leadingGroup: true,
  validate: (address) => {
    const d = percentDecode(address);
    return d !== undefined && /^[^\s@]{1,64}@[A-Za-z0-9.-]+$/.test(d) && !FILE_TLD.test(d.slice(d.lastIndexOf('.') + 1));
  },
};

/** International numbers with `%2B` for `+`, blanks as `%20` or `+`. */
export const percentEncodedPhone: Detector = {
  type: 'phone_number',
  priority: 20,
  keywords: ['%2b'],
  keywordsIgnoreCase: true,
  pattern: re(String.raw`(?<![A-Za-z0-9%])%2B[1-9](?:[0-9.+-]|%2[089]){5,48}[0-9](?![0-9A-Za-z])`, 'gi'),
  validate: (s) => {
    const d = percentDecode(s);
    if (d === undefined) return false;
    const n = digitCount(d);
    return n >= 8 && n <= 15 && !/[ .-]{2}/.test(d);
  },
};

/** `phone=020%207946%200958` / `mobile=07700+900123`: a phone-named form field. */
export const formPhoneField: Detector = {
  type: 'phone_number',
  priority: 22,
  keywords: ['phone', 'mobile', 'tel='],
  keywordsIgnoreCase: true,
  pattern: re(String.raw`(?<=[?&;]|^)(?:[a-z_]{0,20}phone(?:_?number)?|mobile(?:_?number)?|tel|telephone|cell)=([0-9%+().-]{6,96})(?![0-9A-Za-z%+().-])`, 'gim'),
  validate: (s) => {
    const d = percentDecode(s);
    if (d === undefined || !/^[0-9 +().-]+$/.test(d)) return false;
    const n = digitCount(d);
    return n >= 7 && n <= 15;
  },
};

export const encodedDetectors: readonly Detector[] = [base64PrivateKey, base64DockerConfig, percentEncodedEmail, percentEncodedPhone, formPhoneField];
