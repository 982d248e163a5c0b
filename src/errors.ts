/**
 * One registry of every refusal keyward can produce. The code is stable: it is
 * the value callers switch on, the `error.code` in response bodies, the
 * `reason_code` in audit rows, and the metric label. Public messages never
 * contain a library's error text, a token, or a key.
 */
export interface ErrorSpec {
  /** HTTP status the agent sees. */
  readonly http: number;
  /** google.rpc.Code for the ext_authz CheckResponse status. */
  readonly grpc: number;
  /** Public, fixed message. */
  readonly message: string;
}

const UNAUTHENTICATED = 16;
const PERMISSION_DENIED = 7;
const UNAVAILABLE = 14;
const INVALID_ARGUMENT = 3;
const RESOURCE_EXHAUSTED = 8;
const FAILED_PRECONDITION = 9;

const spec = (http: number, grpc: number, message: string): ErrorSpec => ({ http, grpc, message });

export const ERRORS = {
  // identity
  token_missing: spec(401, UNAUTHENTICATED, 'No bearer token in the authorization header.'),
  token_malformed: spec(401, UNAUTHENTICATED, 'The bearer token is not a well-formed signed JWT.'),
  token_alg_none: spec(401, UNAUTHENTICATED, 'Unsigned tokens (alg "none") are not accepted.'),
  token_alg_not_allowed: spec(401, UNAUTHENTICATED, 'The token is signed with an algorithm this issuer does not allow.'),
  token_signature_invalid: spec(401, UNAUTHENTICATED, 'The token signature does not verify against the issuer keys.'),
  token_expired: spec(401, UNAUTHENTICATED, 'The token has expired.'),
  token_not_yet_valid: spec(401, UNAUTHENTICATED, 'The token is not valid yet (nbf or iat in the future).'),
  token_too_old: spec(401, UNAUTHENTICATED, 'The token was issued longer ago than the issuer max_token_age allows.'),
  token_lifetime_too_long: spec(401, UNAUTHENTICATED, 'The token is valid for longer (exp - iat) than the issuer max_token_lifetime allows.'),
  token_issuer_unknown: spec(401, UNAUTHENTICATED, 'The token issuer is not configured.'),
  token_audience_invalid: spec(401, UNAUTHENTICATED, 'The token audience is not accepted by this issuer.'),
  token_kid_unknown: spec(401, UNAUTHENTICATED, 'The token key id is not in the issuer key set.'),
  token_claims_invalid: spec(401, UNAUTHENTICATED, 'The token is missing a required claim.'),
  issuer_unavailable: spec(503, UNAVAILABLE, 'The token issuer key set could not be fetched; refusing (fail closed).'),
  // connection and policy
  connection_unknown: spec(403, PERMISSION_DENIED, 'The requested Datadog connection does not exist.'),
  connection_not_allowed: spec(403, PERMISSION_DENIED, 'This identity may not use the requested Datadog connection.'),
  connection_ambiguous: spec(403, PERMISSION_DENIED, 'Several connections are allowed for this identity; choose one with the x-keyward-connection header.'),
  connection_none: spec(403, PERMISSION_DENIED, 'No Datadog connection is allowed for this identity.'),
  path_not_canonical: spec(400, INVALID_ARGUMENT, 'The request path is not in canonical form (dot segments, ";" parameters, needless percent-encoding, backslashes or empty segments); refusing before policy.'),
  policy_denied: spec(403, PERMISSION_DENIED, 'The policy denies this operation.'),
  operation_unknown: spec(403, PERMISSION_DENIED, 'The operation is not in the Datadog catalogue and is denied by default.'),
  agent_key_present: spec(403, PERMISSION_DENIED, 'The request carries a Datadog key; agents must not hold one (policy.agent_keys: refuse). The key was not forwarded.'),
  approval_required: spec(403, PERMISSION_DENIED, 'This operation requires human approval.'),
  // 429, not 202: no client may read a held call as done, and Datadog's clients retry 429 on their own
  // (waiting x-ratelimit-reset seconds) until a human decides.
  approval_pending: spec(429, PERMISSION_DENIED, 'This operation is waiting for human approval; it was not carried out. Retry the same call later.'),
  approval_denied: spec(403, PERMISSION_DENIED, 'An approver denied this operation.'),
  approval_expired: spec(403, PERMISSION_DENIED, 'The approval for this operation has expired.'),
  approval_body_mismatch: spec(403, PERMISSION_DENIED, 'The request body differs from the body that was approved.'),
  body_partial: spec(413, PERMISSION_DENIED, 'The request body was truncated before authorization; it cannot be bound to an approval.'),
  // approvers (admin API)
  approval_not_found: spec(404, PERMISSION_DENIED, 'No such approval request.'),
  approval_closed: spec(409, PERMISSION_DENIED, 'This approval request is already decided, used or expired.'),
  approval_forbidden: spec(403, PERMISSION_DENIED, 'You are not in an approver group for this request.'),
  approval_self: spec(403, PERMISSION_DENIED, 'Self-approval is not allowed: the approver is the agent or its owner.'),
  approval_duplicate: spec(409, PERMISSION_DENIED, 'You have already voted on this approval request.'),
  slack_not_configured: spec(404, PERMISSION_DENIED, 'Slack interactivity is not configured (approvals.slack.signing_secret).'),
  slack_signature_invalid: spec(401, UNAUTHENTICATED, 'The request does not carry a valid Slack signature.'),
  slack_request_stale: spec(401, UNAUTHENTICATED, 'The Slack request timestamp is missing or more than five minutes from now.'),
  slack_replayed: spec(409, PERMISSION_DENIED, 'This Slack request was already received; a replay is not a new decision.'),
  slack_payload_invalid: spec(400, INVALID_ARGUMENT, 'The Slack interaction payload is not a keyward approve or deny button.'),
  slack_user_unmapped: spec(403, PERMISSION_DENIED, 'This Slack user is not mapped to an approver (approvals.slack.users).'),
  approval_window_closed: spec(403, PERMISSION_DENIED, 'Approvals for this rule are only accepted inside its time window.'),
  approval_reason_required: spec(400, INVALID_ARGUMENT, 'A denial needs a reason: write why, so the agent and its owner know what to change.'),
  // approvals page sign-in
  session_missing: spec(401, UNAUTHENTICATED, 'Sign in first: the request has no approver session cookie and no bearer token.'),
  session_invalid: spec(401, UNAUTHENTICATED, 'The approver session is unknown, expired or signed out; sign in again.'),
  csrf_invalid: spec(403, PERMISSION_DENIED, "The decision lacks this session's CSRF token or comes from another site; refused."),
  sign_in_failed: spec(400, INVALID_ARGUMENT, 'The sign-in could not be completed (state, nonce or PKCE check failed, it took too long, or the issuer refused); start again.'),
  sign_in_unconfigured: spec(404, INVALID_ARGUMENT, 'Sign-in to the approvals page is not configured (approvals.sign_in); approvers use keyward approvals with a token.'),
  // processing
  context_missing: spec(403, PERMISSION_DENIED, 'The gate received no authorization context for this request (Envoy mis-wired); refusing.'),
  context_invalid: spec(403, PERMISSION_DENIED, 'The authorization context of this request is not sealed by this gate, has expired, was already used, or was checked for another request; refusing.'),
  body_too_large: spec(413, INVALID_ARGUMENT, 'The request body is larger than the configured limit once decompressed.'),
  body_ratio_exceeded: spec(413, INVALID_ARGUMENT, 'The request body expands beyond the allowed compression ratio.'),
  body_encoding_unsupported: spec(415, INVALID_ARGUMENT, 'The content-encoding of the request body is not supported.'),
  body_encoding_invalid: spec(400, INVALID_ARGUMENT, 'The request body could not be decoded with its content-encoding.'),
  body_json_invalid: spec(400, INVALID_ARGUMENT, 'The request body is not valid JSON although its content-type says it is.'),
  body_too_deep: spec(400, INVALID_ARGUMENT, 'The request body is nested deeper than the configured limit.'),
  // budgets
  budget_exceeded: spec(429, RESOURCE_EXHAUSTED, 'A budget of this identity is spent for the current window; retry after X-RateLimit-Reset seconds.'),
  cardinality_exceeded: spec(429, RESOURCE_EXHAUSTED, 'The batch adds more distinct metric series than the series budget allows this hour; existing series are still accepted.'),
  budget_unavailable: spec(503, UNAVAILABLE, 'The budget counters are unavailable; the call was not forwarded (fail closed).'),
  // platform
  audit_unavailable: spec(503, UNAVAILABLE, 'The audit store is unavailable; the call was not forwarded.'),
  audit_checkpoint_key_required: spec(500, FAILED_PRECONDITION, 'Purging audit rows needs audit.checkpoint_key: an unsigned retention checkpoint could hide any deleted range.'),
  masking_busy: spec(503, UNAVAILABLE, 'Too many bodies are being masked at once; retry later (the call was not forwarded).'),
  config_unavailable: spec(503, UNAVAILABLE, 'The gate has no valid configuration loaded.'),
  internal_error: spec(500, UNAVAILABLE, 'The gate failed while deciding; refusing (fail closed).'),
  gate_shutting_down: spec(503, UNAVAILABLE, 'This keyward replica is shutting down; the call was not carried out. Retry the same call: another replica answers it, and a pending approval stays valid.'),
  gate_unavailable: spec(503, UNAVAILABLE, 'The gate could not be reached; refusing (fail closed).'),
  request_invalid: spec(400, INVALID_ARGUMENT, 'The request could not be read.'),
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

/** What a refusal adds to its response: top-level body fields, fields inside `error`, headers. */
export interface RefusalExtras {
  readonly body?: Readonly<Record<string, unknown>>;
  readonly error?: Readonly<Record<string, unknown>>;
  readonly headers?: Readonly<Record<string, string>>;
}

/** A refusal with a stable code. `detail` is for logs only and must never hold secrets. */
export class KeywardError extends Error {
  readonly code: ErrorCode;
  readonly detail: string | undefined;
  readonly extras: RefusalExtras;
  constructor(code: ErrorCode, detail?: string, extras: RefusalExtras = {}) {
    super(ERRORS[code].message);
    this.name = 'KeywardError';
    this.code = code;
    this.detail = detail;
    this.extras = extras;
  }
  get http(): number {
    return ERRORS[this.code].http;
  }
  get grpc(): number {
    return ERRORS[this.code].grpc;
  }
}

export function isKeywardError(e: unknown): e is KeywardError {
  return e instanceof KeywardError;
}

/** The JSON body an agent receives for a refusal. Built from an object, never by concatenation. */
export function errorBody(code: ErrorCode, requestId?: string, extras: RefusalExtras = {}): string {
  const error: Record<string, unknown> = { code, message: ERRORS[code].message };
  if (requestId) error.request_id = requestId;
  return JSON.stringify({ ...extras.body, error: { ...error, ...extras.error } });
}
