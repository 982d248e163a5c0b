import type { ErrorCode } from '../errors.js';
import type { Identity } from '../identity/types.js';
import type { ConnectionConfig, OperationClass } from '../config/schema.js';
import type { SealedContext } from '../seal/call-context.js';
import type { PolicyDecision } from '../policy/rules.js';
import type { AgentKeySighting } from '../inject/agent-keys.js';

/** The HTTP request as ext_authz sees it, free of protos. Header names are lower-case. */
export interface CheckInput {
  readonly method: string;
  /** Path with query, as the agent sent it. */
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  /** Body bytes when Envoy sent them (with_request_body), else null. */
  readonly body: Buffer | null;
  /** True when Envoy truncated the body (x-envoy-auth-partial-body). */
  readonly bodyPartial: boolean;
  /** Aborted when Envoy gives up on the Check (its timeout): nothing may be consumed or allowed after. */
  readonly signal?: AbortSignal;
}

export interface AllowOutcome {
  readonly kind: 'allow';
  readonly requestId: string;
  readonly context: SealedContext;
  /** Request headers Envoy must drop before anything goes upstream. */
  readonly headersToRemove: readonly string[];
  readonly queryParamsToRemove: readonly string[];
  /** Headers added to the response the agent gets. */
  readonly responseHeaders: Readonly<Record<string, string>>;
}

export interface DenyOutcome {
  readonly kind: 'deny';
  readonly requestId: string;
  readonly code: ErrorCode;
  readonly httpStatus: number;
  readonly grpcStatus: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export type CheckOutcome = AllowOutcome | DenyOutcome;

/** The one document every phase of a Check reads and fills in. */
export interface CheckDocument {
  readonly input: CheckInput;
  readonly requestId: string;
  readonly startedAt: number;
  identity?: Identity;
  connection?: ConnectionConfig;
  operationClass?: OperationClass;
  decision?: PolicyDecision;
  approvalId?: string;
  approvedBodySha256?: string;
  /** X-RateLimit headers of the budget that governs the call (src/budgets), for the response. */
  rateLimitHeaders?: Readonly<Record<string, string>>;
  /** Datadog keys the agent sent (src/inject/agent-keys.ts): places and fingerprints, never values. */
  agentKeys?: readonly AgentKeySighting[];
  /** The path as audited (see authz/check.ts auditedPath), computed once. */
  auditedPath?: string;
}
