import type { FindingSummary } from '../mask/types.js';

/** A finding is the masking engine's type; audit records it as is. */
export type { FindingSummary };

/**
 * The audit events both services emit, and the one interface that makes them durable.
 * `record()` resolves only after the event is COMMITted (group commit batches many events into one
 * transaction); a rejected promise means "not durable": the caller must refuse the call.
 */

export type Decision = 'allow' | 'deny' | 'pending' | 'error';

/** One row per request id, written by ext_authz. */
export interface CallEvent {
  readonly kind: 'call';
  readonly time: Date;
  readonly request_id: string;
  readonly issuer: string | null;
  readonly subject: string | null;
  readonly groups: readonly string[];
  readonly client_id: string | null;
  readonly connection: string | null;
  readonly method: string;
  /** Path with every key-bearing query parameter and `/v1/input/<KEY>` segment removed. */
  readonly path: string;
  readonly operation_class: string | null;
  readonly decision: Decision;
  readonly rule: string | null;
  readonly approval_id: string | null;
  /** Code from src/errors.ts for refusals; null on allow. */
  readonly reason_code: string | null;
  /** Rules in dry-run mode that matched, with what they would have decided. */
  readonly dry_run: readonly { rule: string; action: string }[];
  readonly latency_ms: number;
  readonly config_version: string;
  /** Findings on the call itself (an agent-supplied Datadog key: where, and a keyed fingerprint). */
  readonly findings?: readonly FindingSummary[];
}

/** One row per body that crossed ext_proc, written before the body is forwarded. */
export interface PayloadEvent {
  readonly kind: 'payload';
  readonly time: Date;
  readonly request_id: string;
  readonly direction: 'request' | 'response';
  readonly content_type: string | null;
  readonly content_encoding: string | null;
  /** sha256 (hex) of the raw body as received (compressed bytes as they came). */
  readonly body_sha256: string;
  /** The masked, decoded body; null when the body was refused and not stored. */
  readonly masked_body: string | null;
  /**
   * masked_body as it is hashed and stored, already encoded (bodyJsonBytes), when a masking worker
   * prepared it: the main thread then neither escapes nor UTF-8-encodes a body of several MiB.
   */
  readonly masked_body_json?: Uint8Array | undefined;
  readonly findings: readonly FindingSummary[];
  readonly upstream_status: number | null;
  /** Code from src/errors.ts when the body was refused. */
  readonly reason_code: string | null;
  readonly latency_ms: number;
}

/** An approval step (requested, approval, denial, approved, expired, consumed), written by the approvals store. */
export interface ApprovalStepEvent {
  readonly kind: 'approval';
  readonly time: Date;
  readonly request_id: string;
  readonly approval_id: string;
  readonly step: string;
  /** Who acted (approver subject), null for system steps such as expiry. */
  readonly actor: string | null;
  readonly reason: string | null;
}

export type AuditEvent = CallEvent | PayloadEvent | ApprovalStepEvent;

export interface AuditSink {
  /** Resolves after COMMIT. Rejects (KeywardError 'audit_unavailable') when the event is not durable in time. */
  record(event: AuditEvent): Promise<void>;
  /** Flushes what is queued, then releases the database. */
  close(): Promise<void>;
}
