import type { Logger } from 'pino';
import type { ApprovalsConfig } from '../config/sections/approvals.js';
import type { ApprovalRecord } from './store.js';

export interface ApprovalNotifier {
  /** Fire and forget: retried with back-off; a failure is logged and never affects the approval. */
  requested(approval: ApprovalRecord, approveUrl: string): void;
  /** Resolves when every notification in flight has finished (tests, shutdown). */
  idle(): Promise<void>;
}

/** The JSON sent to the generic webhook. No body, no secret: who, what, where to decide. */
export function webhookPayload(a: ApprovalRecord, approveUrl: string) {
  return {
    event: 'approval.requested',
    approval_id: a.id,
    request_id: a.request_id,
    agent: a.subject,
    connection: a.connection,
    method: a.method,
    path: a.path,
    operation_class: a.operation_class,
    rule: a.rule,
    approvers: a.approvers,
    min_approvals: a.min_approvals,
    expires_at: a.expires_at.toISOString(),
    approve_url: approveUrl,
  };
}

/** Slack incoming-webhook payload (text fallback + blocks). */
export function slackPayload(a: ApprovalRecord, approveUrl: string) {
  const text = `keyward: agent ${a.subject} wants to ${a.method} ${a.path} on ${a.connection} (${a.operation_class}); approval needed from ${a.approvers.join(', ')}`;
  return {
    text,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `*Approval needed* (${a.min_approvals} of ${a.approvers.join(', ')})\n*Agent:* \`${a.subject}\`\n*Call:* \`${a.method} ${a.path}\` on \`${a.connection}\`\n*Class:* ${a.operation_class} · *Rule:* ${a.rule}` } },
      { type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'Review' }, url: approveUrl }] },
    ],
  };
}

export function createApprovalNotifier(options: { config: () => ApprovalsConfig; log: Logger; baseDelayMs?: number }): ApprovalNotifier {
  const inFlight = new Set<Promise<void>>();
  const baseDelay = options.baseDelayMs ?? 500;

  async function deliver(url: string, body: unknown, kind: string, approvalId: string, attempts: number) {
    for (let attempt = 1; attempt <= attempts; attempt++) {
      try {
        const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(5_000) });
        if (res.ok) return;
        if (res.status < 500 && res.status !== 429) break;
      } catch {
        // network error: retry
      }
      if (attempt < attempts) await new Promise((r) => setTimeout(r, baseDelay * 2 ** (attempt - 1)));
    }
    options.log.warn({ approval_id: approvalId, kind }, 'approval notification failed after retries (the approval itself is unaffected)');
  }

  return {
    requested(approval, approveUrl) {
      const cfg = options.config();
      const jobs: Promise<void>[] = [];
      if (cfg.webhook_url) jobs.push(deliver(cfg.webhook_url, webhookPayload(approval, approveUrl), 'webhook', approval.id, cfg.notify_attempts));
      if (cfg.slack_webhook_url) jobs.push(deliver(cfg.slack_webhook_url, slackPayload(approval, approveUrl), 'slack', approval.id, cfg.notify_attempts));
      for (const job of jobs) {
        const p = job.finally(() => inFlight.delete(p));
        inFlight.add(p);
      }
    },
    async idle() {
      await Promise.all([...inFlight]);
    },
  };
}
