import { z } from 'zod';
import { unsafePatternReason } from '../../mask/detectors/safety.js';
import { parseAllowPath } from '../../mask/paths.js';

/** A custom pattern must compile and be linear-time (src/mask/detectors/safety.ts), checked here so every load refuses it with its line. */
const customPattern = z
  .string()
  .min(1)
  .superRefine((pattern, ctx) => {
    const reason = unsafePatternReason(pattern);
    if (reason !== undefined) ctx.addIssue({ code: 'custom', message: `pattern ${JSON.stringify(pattern)}: ${reason}` });
  });

const allowPath = z.string().superRefine((path, ctx) => {
  try {
    parseAllowPath(path);
  } catch {
    ctx.addIssue({ code: 'custom', message: `malformed allow path ${JSON.stringify(path)}: write e.g. $.series[*].metric, $..message or $["a b"][0]` });
  }
});
import { functionalFieldsSection } from './functional-fields.js';

/** `masking`: how request and response bodies are scrubbed of secrets and PII (see src/mask). */
export const maskingSection = z
  .object({
    /** Mask request bodies (agent → Datadog). */
    request: z.boolean().default(true),
    /** Mask response bodies (Datadog → agent) for operation classes whose responses can carry secrets. */
    response: z.boolean().default(true),
    /** `redact` → `[REDACTED:<type>]`; `hmac` → `[REDACTED:<type>:<8 hex>]` keyed by `hmac_key`. */
    style: z.enum(['redact', 'hmac']).default('redact'),
    /** Key for the hmac style; write it as a `${env:..}` or `${file:..}` reference. */
    hmac_key: z.string().min(16).optional(),
    /** Largest decompressed body accepted, in bytes (Datadog's own limit is 5 MiB). */
    max_body_bytes: z.number().int().positive().default(5 * 1024 * 1024),
    /** Largest decompressed/compressed size ratio accepted (zip-bomb guard). */
    max_ratio: z.number().positive().default(100),
    /** Deepest JSON nesting accepted. */
    max_depth: z.number().int().positive().default(64),
    /** Extra named patterns (linear-time regular expressions). */
    custom_patterns: z
      .array(z.object({ name: z.string().regex(/^[a-z][a-z0-9_]*$/), pattern: customPattern, keywords: z.array(z.string()).default([]) }).strict())
      .default([]),
    /** JSON paths (e.g. `$.series[*].metric`) never masked. */
    allow_paths: z.array(allowPath).default([]),
    /** Fields whose notification handles route alerts and are forwarded intact (src/mask/functional-fields.ts). */
    functional_fields: functionalFieldsSection.prefault({}),
  })
  .strict()
  .refine((m) => m.style !== 'hmac' || m.hmac_key !== undefined, { message: 'style "hmac" needs hmac_key', path: ['hmac_key'] });

export type MaskingConfig = z.output<typeof maskingSection>;
