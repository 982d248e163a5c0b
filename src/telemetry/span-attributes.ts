import type { Attributes } from '@opentelemetry/api';

/**
 * The only attributes a keyward span may carry. A typed allow-list rather than free-form
 * attributes, so a token, key, path or body cannot be attached by accident: there is no field for it.
 */
export interface SpanFields {
  readonly request_id?: string;
  readonly subject?: string;
  readonly connection?: string;
  /** Operation class (read, telemetry-write, …). */
  readonly class?: string;
  readonly decision?: string;
  readonly rule?: string;
  /** Error code from src/errors.ts on a refusal. */
  readonly code?: string;
  /** HTTP method (a closed set); the path is not allowed (it can carry a key). */
  readonly method?: string;
  /** Number of masking findings. */
  readonly findings?: number;
  /** Milliseconds spent, on phase events. */
  readonly duration_ms?: number;
}

const KEYS: Record<keyof SpanFields, string> = {
  request_id: 'keyward.request_id',
  subject: 'keyward.subject',
  connection: 'keyward.connection',
  class: 'keyward.operation_class',
  decision: 'keyward.decision',
  rule: 'keyward.rule',
  code: 'keyward.code',
  method: 'http.request.method',
  findings: 'keyward.findings',
  duration_ms: 'keyward.duration_ms',
};

const MAX_STRING = 256;
/** Three base64url segments starting with a JSON header: a JWT, whatever field it was put in. */
const JWT_SHAPE = /eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/;
const BEARER = /\b(?:bearer|basic)\s+\S+/i;
export const REDACTED = '[REDACTED:secret]';

/**
 * Turns allowed fields into OpenTelemetry attributes. String values are capped, and any value that
 * contains a configured secret, or looks like a JWT or an Authorization value, is replaced.
 */
export function toSpanAttributes(fields: SpanFields, secrets: () => readonly string[]): Attributes {
  const out: Attributes = {};
  for (const name of Object.keys(fields) as (keyof SpanFields)[]) {
    const key = KEYS[name];
    const value = fields[name];
    if (key === undefined || value === undefined) continue;
    out[key] = typeof value === 'number' ? value : scrub(value, secrets);
  }
  return out;
}

function scrub(value: string, secrets: () => readonly string[]): string {
  if (JWT_SHAPE.test(value) || BEARER.test(value)) return REDACTED;
  for (const secret of secrets()) if (secret.length >= 8 && value.includes(secret)) return REDACTED;
  return value.length > MAX_STRING ? value.slice(0, MAX_STRING) : value;
}
