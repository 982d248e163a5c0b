import { createHash } from 'node:crypto';
import type { ApprovalWindow } from '../config/sections/approvals.js';
import type { ErrorCode } from '../errors.js';

/** What an approval is bound to: this agent, this connection, this exact call and body. */
export interface ApprovalSubject {
  readonly connection: string;
  /** The agent is its issuer and subject: `sub` is only unique within one issuer. */
  readonly issuer: string;
  readonly subject: string;
  readonly method: string;
  /** Path as sent, with only key-bearing parts redacted (not PII-masked: distinct targets stay distinct). */
  readonly path: string;
  /** sha256 of the exact request body ("" body included). */
  readonly bodySha256: string;
}

/** A changed body, path, method, connection or agent needs a new approval. */
export function approvalFingerprint(s: ApprovalSubject): string {
  return createHash('sha256').update(JSON.stringify([s.connection, s.issuer, s.subject, s.method.toUpperCase(), s.path, s.bodySha256])).digest('hex');
}

export type ApprovalStatus = 'pending' | 'approved' | 'denied' | 'expired' | 'consumed';

export interface Vote {
  readonly approver: string;
  readonly decision: 'approve' | 'deny';
}

/** Status from the votes so far: one deny closes it; `min` distinct approvals grant it. */
export function tally(votes: readonly Vote[], minApprovals: number): 'pending' | 'approved' | 'denied' {
  if (votes.some((v) => v.decision === 'deny')) return 'denied';
  const approvers = new Set(votes.filter((v) => v.decision === 'approve').map((v) => v.approver));
  return approvers.size >= minApprovals ? 'approved' : 'pending';
}

export interface ApproverCheck {
  readonly approver: { readonly subject: string; readonly groups: readonly string[] };
  /** The agent whose call is held, and its human owner when the token names one. */
  readonly agent: { readonly subject: string; readonly owner: string | null };
  readonly approverGroups: readonly string[];
  readonly window: ApprovalWindow | undefined;
  readonly votes: readonly Vote[];
  readonly now: Date;
}

/** Why this person may not vote on this request, or null when they may. */
export function approverRefusal(c: ApproverCheck): ErrorCode | null {
  if (c.approver.subject === c.agent.subject || (c.agent.owner !== null && c.approver.subject === c.agent.owner)) return 'approval_self';
  if (!c.approver.groups.some((g) => c.approverGroups.includes(g))) return 'approval_forbidden';
  if (c.votes.some((v) => v.approver === c.approver.subject)) return 'approval_duplicate';
  if (c.window && !insideWindow(c.window, c.now)) return 'approval_window_closed';
  return null;
}

const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

export function insideWindow(w: ApprovalWindow, at: Date): boolean {
  const day = DAY_NAMES[at.getUTCDay()]!;
  if (!(w.days as readonly string[]).includes(day)) return false;
  const minutes = at.getUTCHours() * 60 + at.getUTCMinutes();
  const [fh, fm] = w.from.split(':').map(Number) as [number, number];
  const [th, tm] = w.to.split(':').map(Number) as [number, number];
  const from = fh * 60 + fm;
  const to = th * 60 + tm;
  return from <= to ? minutes >= from && minutes <= to : minutes >= from || minutes <= to;
}

/** Expiry wins over every non-final status. */
export function effectiveStatus(status: ApprovalStatus, expiresAt: Date, now: Date): ApprovalStatus {
  if ((status === 'pending' || status === 'approved') && expiresAt.getTime() <= now.getTime()) return 'expired';
  return status;
}
