import type { OperationClass } from '../config/schema.js';
import { prettyJson } from './pretty.js';
import type { ApprovalFinding, ApprovalRecord } from './store.js';

/** One line per operation class: what goes wrong if this is approved by mistake. */
export const CLASS_RISK: Record<OperationClass, string> = {
  'telemetry-write': 'Sends metrics, logs or events: wrong data lands in dashboards and alerts, nothing is changed.',
  read: 'Reads data: what it returns may be shown to the agent (masked).',
  'config-change': 'Changes Datadog configuration (dashboards, monitors, pipelines…): what people see and get paged for changes.',
  destructive: 'Deletes or mutes something in Datadog: it may not come back, and alerts may go silent.',
  'credential-admin': 'Manages keys, users or roles: it changes who and what can reach this organisation.',
  unknown: 'An operation keyward does not know: its effect cannot be described; read the path and body carefully.',
};

const FINDING_NAMES: Record<string, [string, string]> = {
  email: ['email', 'emails'],
  datadog_key: ['Datadog key', 'Datadog keys'],
};

/** "1 email masked, 2 credit_card values masked"; "nothing masked" when masking found nothing. */
export function findingsSummary(findings: readonly ApprovalFinding[]): string {
  if (findings.length === 0) return 'nothing masked';
  return findings
    .map((f) => {
      const names = FINDING_NAMES[f.type];
      const what = names ? names[f.count === 1 ? 0 : 1] : `${f.type.replace(/_/g, ' ')} ${f.count === 1 ? 'value' : 'values'}`;
      return `${f.count} ${what} masked`;
    })
    .join(', ');
}

/**
 * Whether the agent's call is still held or about to retry: it asked within one hold plus the
 * retry interval it was given (and a little slack for its own clock and network).
 */
export function agentWaiting(a: Pick<ApprovalRecord, 'status' | 'last_seen_at'>, holdMs: number, retryAfterMs: number, now: Date): boolean {
  if (a.status !== 'pending' && a.status !== 'approved') return false;
  if (a.last_seen_at === null) return false;
  return now.getTime() - a.last_seen_at.getTime() <= holdMs + retryAfterMs + 5_000;
}

/** What approvers get for one approval: who asks, what, why it is held, the masked body, the votes. */
export function approvalView(a: ApprovalRecord, context: { holdMs: number; retryAfterMs: number; now: Date }) {
  const cls = a.operation_class as OperationClass;
  return {
    id: a.id,
    status: a.status,
    request_id: a.request_id,
    agent: { subject: a.subject, issuer: a.issuer, owner: a.owner, groups: a.agent_groups, client_id: a.client_id },
    agent_waiting: agentWaiting(a, context.holdMs, context.retryAfterMs, context.now),
    agent_last_seen_at: a.last_seen_at,
    connection: a.connection,
    method: a.method,
    path: a.path,
    operation_class: a.operation_class,
    risk: CLASS_RISK[cls] ?? CLASS_RISK.unknown,
    rule: a.rule,
    findings: a.findings,
    findings_summary: findingsSummary(a.findings),
    body_sha256: a.body_sha256,
    content_type: a.content_type,
    masked_body: a.masked_body === null ? null : prettyJson(a.masked_body),
    approvers: a.approvers,
    min_approvals: a.min_approvals,
    votes: a.votes.map((v) => ({ approver: v.approver, decision: v.decision, reason: v.reason, time: v.time })),
    created_at: a.created_at,
    expires_at: a.expires_at,
    decided_at: a.decided_at,
    consumed_at: a.consumed_at,
    deny_reason: a.deny_reason,
  };
}
