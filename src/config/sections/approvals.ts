import { z } from 'zod';
import { duration } from '../duration.js';

const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
const HHMM = /^(?:[01]\d|2[0-3]):[0-5]\d$/;

/** `policy.rules[].approval.window`: approvals for the rule are only accepted inside it (UTC). */
export const approvalWindow = z
  .object({
    days: z.array(z.enum(DAYS)).min(1).default([...DAYS]),
    from: z.string().regex(HHMM, 'HH:MM (UTC)').default('00:00'),
    to: z.string().regex(HHMM, 'HH:MM (UTC)').default('23:59'),
  })
  .strict();

export type ApprovalWindow = z.output<typeof approvalWindow>;

/** `approvals`: where humans are told about held calls, and the URL they approve at. */
export const approvalsSection = z
  .object({
    /** Base URL of the admin listener as approvers reach it; approve_url links point there. */
    public_url: z.url().optional(),
    /** Generic webhook: POST of a JSON event for every new approval request. */
    webhook_url: z.url().optional(),
    /** Slack-compatible incoming webhook: POST {text, blocks} for every new approval request. */
    slack_webhook_url: z.url().optional(),
    /** Attempts per notification (exponential back-off); a failure never loses the approval. */
    notify_attempts: z.number().int().min(1).max(10).default(4),
    /** Agents are told to retry after this long when the hold ends undecided. */
    retry_after: duration().prefault('30s'),
  })
  .strict();

export type ApprovalsConfig = z.output<typeof approvalsSection>;
