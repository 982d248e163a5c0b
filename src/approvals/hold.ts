import type { Logger } from 'pino';
import type { ApprovalHold } from '../authz/check.js';
import type { CheckDocument } from '../authz/types.js';
import { KeywardError } from '../errors.js';
import { auditedPath } from '../authz/audited-path.js';
import { connectionKeys } from '../inject/keys.js';
import { redactedPath } from '../policy/request-path.js';
import { maskBody, sha256Hex } from '../mask/body.js';
import type { WallClock } from '../clock.js';
import type { Metrics } from '../telemetry/metrics.js';
import type { ApprovalListener } from './listener.js';
import { approvalLink, type ApprovalNotifier } from './notify.js';
import { approvalFingerprint } from './rules.js';
import type { ApprovalRecord, ApprovalStore } from './store.js';

/**
 * Headers of a held call's 429: `Retry-After` for HTTP clients, and Datadog's own rate-limit headers,
 * which the official clients read (`x-ratelimit-reset`: seconds to wait before retrying).
 */
export function pendingHeaders(retryAfterSeconds: number, name = 'keyward_approval'): Record<string, string> {
  const s = String(retryAfterSeconds);
  return { 'retry-after': s, 'x-ratelimit-reset': s, 'x-ratelimit-period': s, 'x-ratelimit-remaining': '0', 'x-ratelimit-name': name };
}

/** How soon an agent released by a shutting-down replica should retry (another replica answers). */
const SHUTDOWN_RETRY_SECONDS = 1;

export interface HoldDeps {
  readonly store: ApprovalStore;
  readonly listener: ApprovalListener;
  readonly notifier: ApprovalNotifier;
  readonly log: Logger;
  readonly metrics?: Metrics;
  readonly clock?: WallClock;
  /** Base URL approvers use (approvals.public_url, else the admin listener). */
  readonly publicUrl: () => string;
  /**
   * Aborted when this replica begins to stop: every held call is answered at once with a retryable
   * gate_shutting_down, and its approval stays pending in Postgres for the agent's retry elsewhere.
   */
  readonly stopping?: AbortSignal;
}

/**
 * The require_approval phase of a Check: bind the call to an approval request (agent, connection,
 * method, path, exact body), hold until a human decides or the hold ends, and consume the approval
 * once. Outcomes other than "proceed" are KeywardErrors the Check turns into responses.
 */
export function createApprovalHold(deps: HoldDeps): ApprovalHold {
  const clock = deps.clock ?? Date.now;
  return async (doc, settings, runtime) => {
    if (deps.stopping?.aborted) throw shuttingDown(null);
    const identity = doc.identity!;
    const connection = doc.connection!;
    const body = doc.input.body ?? Buffer.alloc(0);
    const bodySha256 = sha256Hex(body);
    const path = auditedPath(doc as CheckDocument, runtime);
    // Masked before persisted: the approver sees what will be sent, never a raw secret.
    const maskedBody = async () => {
      if (body.length === 0) return null;
      const masking = runtime.maskingFor(doc.decision!.rule);
      const masked = await maskBody(body, doc.input.headers['content-type'], doc.input.headers['content-encoding'], {
        masker: masking.masker,
        codec: runtime.codec,
        literals: connectionKeys(connection),
        route: { method: doc.input.method, path: doc.input.path },
        auditHandles: runtime.config.masking.functional_fields.audit,
        });
      return { text: masked.maskedText, findings: masked.findings };
    };
    // Bound to the path as sent (keys aside), not as audited: masking turns /hosts/203.0.113.7?x and
    // /hosts/198.51.100.9?x into the same text, and an approval for one target must not open another.
    const fingerprint = approvalFingerprint({ connection: connection.name, issuer: identity.issuer, subject: identity.subject, method: doc.input.method, path: redactedPath(doc.input.path), bodySha256 });
    const open = () =>
      deps.store.open({
        fingerprint,
        requestId: doc.requestId,
        issuer: identity.issuer,
        subject: identity.subject,
        owner: identity.owner,
        groups: identity.groups,
        clientId: identity.clientId,
        connection: connection.name,
        method: doc.input.method,
        path,
        operationClass: doc.operationClass!,
        rule: doc.decision!.rule,
        bodySha256,
        maskedBody,
        contentType: doc.input.headers['content-type'] ?? null,
        approvers: settings.approvers,
        minApprovals: settings.min_approvals,
        ttlMs: settings.ttl,
      });

    let { approval, created } = await open();
    const requested = (a: ApprovalRecord) => {
      deps.metrics?.approvals.inc({ state: 'requested' });
      deps.notifier.requested(a, approveUrl(a));
    };
    if (created) requested(approval);
    const started = clock();
    const deadline = started + settings.hold;
    const ended = (state: 'approved' | 'rejected' | 'expired') => {
      deps.metrics?.approvals.inc({ state });
      deps.metrics?.approvalWait.observe({ state }, (clock() - started) / 1000);
    };
    for (;;) {
      switch (approval.status) {
        case 'approved':
          // Envoy already gave up on this call: leave the approval for the agent's retry.
          if (doc.input.signal?.aborted) throw new KeywardError('gate_unavailable', 'check cancelled while held');
          if (await deps.store.consume(approval.id, doc.requestId)) {
            ended('approved');
            return { approvalId: approval.id, bodySha256 };
          }
          // Another retry used it first: this call needs an approval of its own.
          ({ approval, created } = await open());
          if (created) requested(approval);
          continue;
        case 'denied':
          ended('rejected');
          throw new KeywardError('approval_denied', undefined, { error: { approval_id: approval.id, reason: approval.deny_reason ?? '' } });
        case 'expired':
          await deps.store.markExpired(approval);
          ended('expired');
          throw new KeywardError('approval_expired', undefined, { error: { approval_id: approval.id } });
        case 'consumed':
          ({ approval, created } = await open());
          if (created) requested(approval);
          continue;
        case 'pending': {
          if (deps.stopping?.aborted) throw shuttingDown(approval);
          const left = deadline - clock();
          if (left <= 0) throw pending(approval, runtime.config.approvals.retry_after);
          // Register first, then re-read: a decision between the two is not missed.
          const signals = [doc.input.signal, deps.stopping].filter((x): x is AbortSignal => x !== undefined);
          const waiter = deps.listener.wait(approval.id, left, signals.length > 0 ? AbortSignal.any(signals) : undefined);
          const fresh = await deps.store.get(approval.id);
          if (fresh && fresh.status !== 'pending') {
            waiter.cancel();
            approval = fresh;
            continue;
          }
          await waiter.done;
          if (deps.stopping?.aborted) throw shuttingDown(approval);
          approval = (await deps.store.get(approval.id)) ?? approval;
        }
      }
    }
  };

  function approveUrl(a: ApprovalRecord): string {
    return approvalLink(deps.publicUrl(), a.id);
  }

  function shuttingDown(a: ApprovalRecord | null): KeywardError {
    const body = a ? { approval_id: a.id, status: 'pending', done: false, retry_after: SHUTDOWN_RETRY_SECONDS, approve_url: approveUrl(a) } : { done: false, retry_after: SHUTDOWN_RETRY_SECONDS };
    return new KeywardError('gate_shutting_down', undefined, { body, headers: pendingHeaders(SHUTDOWN_RETRY_SECONDS, 'keyward_shutdown') });
  }

  function pending(a: ApprovalRecord, retryAfterMs: number): KeywardError {
    const retryAfter = Math.max(1, Math.round(retryAfterMs / 1000));
    return new KeywardError('approval_pending', undefined, {
      body: { approval_id: a.id, status: 'pending', done: false, retry_after: retryAfter, approve_url: approveUrl(a), expires_at: a.expires_at.toISOString() },
      headers: pendingHeaders(retryAfter),
    });
  }
}
