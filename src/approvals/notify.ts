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

/** Where an approver decides one approval on the page. */
export function approvalLink(publicUrl: string, id: string): string {
  return `${publicUrl.replace(/\/$/, '')}/approvals#${id}`;
}

/** action_id of the Slack buttons; the button value is the approval id. */
export const SLACK_ACTIONS = { approve: 'keyward_approve', deny: 'keyward_deny' } as const;

const OUTCOME: Record<string, string> = { approved: 'Approved', denied: 'Denied', expired: 'Expired', consumed: 'Approved and used' };

/**
 * The Slack message for an approval: who, what, the votes so far, and — while it is pending and Slack
 * interactivity is configured — Approve/Deny buttons. The same builder announces the request and
 * replaces the message after each decision (response_url, replace_original).
 */
export function slackPayload(a: ApprovalRecord, approveUrl: string, interactive = false) {
  const approvals = a.votes.filter((v) => v.decision === 'approve').length;
  const votes = a.votes.map((v) => `${v.decision === 'approve' ? 'approved' : 'denied'} by \`${v.approver}\``).join(', ');
  const state = a.status === 'pending' ? `*Approval needed* (${approvals} of ${a.min_approvals} from ${a.approvers.join(', ')})` : `*${OUTCOME[a.status] ?? a.status}*${a.deny_reason ? `: ${a.deny_reason}` : ''}`;
  const text = a.status === 'pending'
    ? `keyward: agent ${a.subject} wants to ${a.method} ${a.path} on ${a.connection} (${a.operation_class}); approval needed from ${a.approvers.join(', ')}`
    : `keyward: ${(OUTCOME[a.status] ?? a.status).toLowerCase()}: agent ${a.subject}, ${a.method} ${a.path} on ${a.connection}`;
  const buttons = interactive && a.status === 'pending'
    ? [
        { type: 'button', action_id: SLACK_ACTIONS.approve, text: { type: 'plain_text', text: 'Approve' }, style: 'primary', value: a.id },
        { type: 'button', action_id: SLACK_ACTIONS.deny, text: { type: 'plain_text', text: 'Deny' }, style: 'danger', value: a.id },
      ]
    : [];
  return {
    text,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `${state}\n*Agent:* \`${a.subject}\`\n*Call:* \`${a.method} ${a.path}\` on \`${a.connection}\`\n*Class:* ${a.operation_class} · *Rule:* ${a.rule}${votes ? `\n*Votes:* ${votes}` : ''}` } },
      { type: 'actions', block_id: `keyward_${a.id}`, elements: [...buttons, { type: 'button', action_id: 'keyward_review', text: { type: 'plain_text', text: 'Review' }, url: approveUrl }] },
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
      if (cfg.slack_webhook_url) jobs.push(deliver(cfg.slack_webhook_url, slackPayload(approval, approveUrl, cfg.slack !== undefined), 'slack', approval.id, cfg.notify_attempts));
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
