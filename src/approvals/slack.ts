import { createHmac, timingSafeEqual } from 'node:crypto';
import type { ErrorCode } from '../errors.js';
import { SLACK_ACTIONS } from './notify.js';

/** Slack refuses requests older than five minutes; so does keyward (a replay outside it is stale). */
export const SLACK_MAX_SKEW_SECONDS = 300;

/** `v0=` + hex HMAC-SHA256 of `v0:<timestamp>:<raw body>` keyed by the app's signing secret, as Slack signs. */
export function slackSignature(secret: string, timestamp: string, rawBody: Buffer | string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:`).update(rawBody).digest('hex')}`;
}

export interface SlackSignedRequest {
  readonly secret: string;
  readonly timestamp: string | undefined;
  readonly signature: string | undefined;
  readonly rawBody: Buffer;
  readonly now: Date;
}

/** Why this request is not from Slack (or no longer), or null when it is. */
export function slackRequestRefusal(r: SlackSignedRequest): ErrorCode | null {
  if (r.timestamp === undefined || !/^\d{1,12}$/.test(r.timestamp)) return 'slack_request_stale';
  if (r.signature === undefined) return 'slack_signature_invalid';
  const expected = Buffer.from(slackSignature(r.secret, r.timestamp, r.rawBody));
  const given = Buffer.from(r.signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'slack_signature_invalid';
  if (Math.abs(r.now.getTime() / 1000 - Number(r.timestamp)) > SLACK_MAX_SKEW_SECONDS) return 'slack_request_stale';
  return null;
}

/** One press of a keyward button, as read from Slack's block_actions payload. */
export interface SlackAction {
  readonly userId: string;
  readonly decision: 'approve' | 'deny';
  readonly approvalId: string;
  readonly responseUrl: string | null;
}

const APPROVAL_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The form body Slack posts (`payload=<JSON>`) → the button pressed, or null when it is not one of ours. */
export function parseSlackAction(rawBody: Buffer): SlackAction | null {
  const payload = new URLSearchParams(rawBody.toString('utf8')).get('payload');
  if (payload === null) return null;
  let p: unknown;
  try {
    p = JSON.parse(payload);
  } catch {
    return null;
  }
  if (p === null || typeof p !== 'object') return null;
  const o = p as { type?: unknown; user?: { id?: unknown }; actions?: unknown; response_url?: unknown };
  if (o.type !== 'block_actions' || typeof o.user?.id !== 'string' || !Array.isArray(o.actions) || o.actions.length !== 1) return null;
  const action = o.actions[0] as { action_id?: unknown; value?: unknown };
  const decision = action.action_id === SLACK_ACTIONS.approve ? 'approve' : action.action_id === SLACK_ACTIONS.deny ? 'deny' : null;
  if (decision === null || typeof action.value !== 'string' || !APPROVAL_ID.test(action.value)) return null;
  return { userId: o.user.id, decision, approvalId: action.value, responseUrl: typeof o.response_url === 'string' && /^https?:\/\//.test(o.response_url) ? o.response_url : null };
}
