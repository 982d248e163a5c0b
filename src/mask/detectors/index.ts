import type { Detector } from '../types.js';
import { credentialDetectors } from './credentials.js';
import { piiDetectors } from './pii.js';
import { secretDetectors } from './secrets.js';
import { unsafePatternReason } from './safety.js';
import { configSyntaxDetectors } from './config-syntax.js';
import { encodedDetectors } from './encoded.js';
import { nationalPiiDetectors } from './pii-national.js';
import { sessionDetectors } from './session.js';
import { vendorKeyDetectors } from './vendor-keys.js';

export const builtinDetectors: readonly Detector[] = [
  ...secretDetectors,
  ...vendorKeyDetectors,
  ...encodedDetectors,
  ...credentialDetectors,
  ...sessionDetectors,
  ...configSyntaxDetectors,
  ...piiDetectors,
  ...nationalPiiDetectors,
];

export interface CustomPattern {
  readonly name: string;
  readonly pattern: string;
  readonly keywords: readonly string[];
}

/** Operator-defined detectors: the whole match is the secret. Throws TypeError on an unsafe pattern. */
export function customDetector(p: CustomPattern): Detector {
  const reason = unsafePatternReason(p.pattern);
  if (reason !== undefined) throw new TypeError(`masking.custom_patterns ${p.name}: ${reason}`);
  return {
    type: p.name,
    priority: 75,
    keywords: p.keywords.map((k) => k.toLowerCase()),
    keywordsIgnoreCase: true,
    pattern: new RegExp(`(?:${p.pattern})`, 'g'),
  };
}

export { unsafePatternReason } from './safety.js';
