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

/** `approvals.slack.users.<Slack user id>`: who a Slack user is when they press approve or deny. */
const slackApprover = z
  .object({
    /** The approver's identity issuer: one of identity.issuers (its groups are that issuer's). */
    issuer: z.url(),
    /** The approver's subject at that issuer, as their OIDC token would carry it (self-approval compares it). */
    subject: z.string().min(1),
    /** The approver's groups at that issuer (plain names, like a token's `groups` claim). */
    groups: z.array(z.string().min(1)).min(1),
  })
  .strict();

/** `approvals.slack`: approve and deny buttons in the Slack message (Slack app interactivity). */
export const slackInteractivity = z
  .object({
    /** The Slack app's signing secret. Write it as `${env:NAME}` or `${file:PATH}`. */
    signing_secret: z.string().min(16, 'a Slack signing secret is at least 16 characters'),
    /** Slack user id (U…/W…) → approver identity. A Slack user not listed here cannot decide. */
    users: z.record(z.string(), slackApprover).default({}),
    /**
     * Where a press's `response_url` may point (Slack: https://hooks.slack.com). keyward posts the updated
     * message there and nowhere else, so a payload signed with a leaked secret cannot aim it at another host.
     */
    response_origin: z
      .url()
      .refine((u) => new URL(u).origin === u.replace(/\/$/, ''), 'an origin only: scheme, host and port, no path')
      .refine(httpsOrLoopback, 'https (plain http only on a loopback host, for development)')
      .default('https://hooks.slack.com'),
  })
  .strict();

/** Slack user and enterprise-grid user ids. Checked in the schema's refinement, where the message can name the key. */
export const SLACK_USER_ID = /^[UW][A-Z0-9]{2,}$/;

export type SlackInteractivityConfig = z.output<typeof slackInteractivity>;
/** Plain http carries sign-in codes and tokens in the clear: only to this machine. */
function httpsOrLoopback(u: string): boolean {
  const url = new URL(u);
  if (url.protocol === 'https:') return true;
  return url.protocol === 'http:' && /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/.test(url.hostname);
}

/** `approvals.sign_in`: approvers sign in to the page with OIDC authorization code + PKCE. */
export const signInSection = z
  .object({
    /** The OIDC issuer approvers sign in at; it must also be one of identity.issuers (groups are read as for agents). */
    issuer: z
      .url()
      .refine((u) => !u.includes('#'), 'an issuer URL has no "#" fragment')
      .refine(httpsOrLoopback, 'the sign-in issuer is https (plain http only on a loopback host, for development): approvers\' codes and tokens cross this connection'),
    /** OAuth client id registered at the issuer for the approvals page; the ID token's audience. */
    client_id: z.string().min(1),
    /** Client secret of a confidential client, as `${env:NAME}` or `${file:PATH}`; absent → public client (PKCE only). */
    client_secret: z.string().min(1).optional(),
    /** Redirect URI registered at the issuer; absent → `<public_url or admin URL>/approvals/callback`. */
    redirect_url: z.url().refine((u) => new URL(u).pathname.endsWith('/approvals/callback'), 'the redirect URL path ends with /approvals/callback').optional(),
    /** Scopes asked for; `openid` is always included. */
    scopes: z.array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, 'a scope is printable ASCII without spaces, quotes or backslashes')).default(['openid', 'profile']),
    /** How long a session lasts from sign-in; the approver then signs in again. */
    session_ttl: duration().prefault('8h'),
    /** How long a started sign-in may take (issuer login page included). */
    login_timeout: duration().prefault('10m'),
    /** Secure flag of the cookies; absent → set when the page is served over https. */
    cookie_secure: z.boolean().optional(),
  })
  .strict();

export type SignInConfig = z.output<typeof signInSection>;

/** `approvals`: where humans are told about held calls, and the URL they approve at. */
export const approvalsSection = z
  .object({
    /** Base URL of the admin listener as approvers reach it; approve_url links point there. */
    public_url: z.url().optional(),
    /** Generic webhook: POST of a JSON event for every new approval request. */
    webhook_url: z.url().optional(),
    /** Slack-compatible incoming webhook: POST {text, blocks} for every new approval request. */
    slack_webhook_url: z.url().optional(),
    /** Approve/deny from the Slack message: the app's signing secret and the Slack user → approver map. */
    slack: slackInteractivity.optional(),
    /** Attempts per notification (exponential back-off); a failure never loses the approval. */
    notify_attempts: z.number().int().min(1).max(10).default(4),
    /** OIDC sign-in for the approvals page; absent → the page says so and approvers use the CLI with tokens. */
    sign_in: signInSection.optional(),
    /** Agents are told to retry after this long when the hold ends undecided. */
    retry_after: duration().prefault('30s'),
  })
  .strict();

export type ApprovalsConfig = z.output<typeof approvalsSection>;
