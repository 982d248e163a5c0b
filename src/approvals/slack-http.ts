import type http from 'node:http';
import type { Logger } from 'pino';
import type { AdminHandler } from '../admin/server.js';
import { sendJson } from '../admin/server.js';
import type { Runtime } from '../config/compile.js';
import { ERRORS, KeywardError, isKeywardError, type ErrorCode } from '../errors.js';
import { scopedGroups } from '../identity/group-scope.js';
import { approvalLink, slackPayload } from './notify.js';
import { parseSlackAction, slackRequestRefusal, SLACK_MAX_SKEW_SECONDS, type SlackAction } from './slack.js';
import type { ApprovalStore } from './store.js';

export const SLACK_INTERACTIONS_PATH = '/slack/interactions';

export interface SlackInteractionsDeps {
  readonly store: ApprovalStore;
  readonly runtime: () => Runtime;
  readonly log: Logger;
  readonly publicUrl: () => string;
  readonly now?: () => Date;
}

const MAX_BODY = 64 * 1024;

async function readRaw(req: http.IncomingMessage): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) return null;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

const header = (req: http.IncomingMessage, name: string) => {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

const originOf = (u: string): string | null => {
  try {
    return new URL(u).origin;
  } catch {
    return null;
  }
};

/** Posts to the message's response_url: Slack's way to replace the message or answer one person. */
async function respond(url: string, origin: string, body: unknown, log: Logger, approvalId: string): Promise<void> {
  if (originOf(url) !== originOf(origin)) {
    log.warn({ approval_id: approvalId }, 'Slack response_url is outside approvals.slack.response_origin: not followed (the decision itself is recorded)');
    return;
  }
  try {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: AbortSignal.timeout(5_000) });
    if (!res.ok) log.warn({ approval_id: approvalId, status: res.status }, 'Slack response_url refused the update');
  } catch {
    log.warn({ approval_id: approvalId }, 'Slack response_url unreachable (the decision itself is recorded)');
  }
}

/**
 * Slack interactivity: the Approve/Deny buttons of the approval message. The request must carry
 * Slack's signature of this exact body and a fresh timestamp, and must not have been seen before; the
 * Slack user is mapped to an approver identity by approvals.slack.users; then the vote is the same as
 * on the page (groups, no self-approval, windows, min approvals) and the message is replaced.
 * A verified request that is refused answers 200 (so Slack shows our reply, not a generic failure)
 * with the code, and tells the person why in an ephemeral message.
 */
export function slackInteractionsHandler(deps: SlackInteractionsDeps): AdminHandler {
  const now = deps.now ?? (() => new Date());
  const responseOrigin = () => deps.runtime().config.approvals.slack?.response_origin ?? 'https://hooks.slack.com';
  return async (req, res, url) => {
    if (url.pathname !== SLACK_INTERACTIONS_PATH) return false;
    const refuse = (code: ErrorCode, status = ERRORS[code].http) => sendJson(res, status, { ok: false, error: { code, message: ERRORS[code].message } });
    if (req.method !== 'POST') {
      refuse('request_invalid');
      return true;
    }
    const slack = deps.runtime().config.approvals.slack;
    if (!slack) {
      refuse('slack_not_configured');
      return true;
    }
    const raw = await readRaw(req);
    if (raw === null) {
      refuse('request_invalid');
      return true;
    }
    const signature = header(req, 'x-slack-signature');
    const unsigned = slackRequestRefusal({ secret: slack.signing_secret, timestamp: header(req, 'x-slack-request-timestamp'), signature, rawBody: raw, now: now() });
    if (unsigned) {
      deps.log.warn({ code: unsigned }, 'Slack interaction refused');
      refuse(unsigned);
      return true;
    }
    const action = parseSlackAction(raw);
    if (!action) {
      refuse('slack_payload_invalid');
      return true;
    }
    try {
      if (!(await deps.store.rememberSlackRequest(signature!, SLACK_MAX_SKEW_SECONDS * 1000))) throw new KeywardError('slack_replayed');
    } catch (e) {
      const code = isKeywardError(e) ? e.code : 'internal_error';
      deps.log.warn({ code, approval_id: action.approvalId, slack_user: action.userId }, 'Slack interaction refused');
      refuse(code);
      return true;
    }
    try {
      const decided = await decide(action);
      sendJson(res, 200, { ok: true, approval_id: decided.id, status: decided.status });
      if (action.responseUrl) void respond(action.responseUrl, responseOrigin(), { replace_original: true, ...slackPayload(decided, approvalLink(deps.publicUrl(), decided.id), true) }, deps.log, decided.id);
    } catch (e) {
      const code: ErrorCode = isKeywardError(e) ? e.code : 'internal_error';
      if (!isKeywardError(e)) deps.log.error({ approval_id: action.approvalId, err_name: e instanceof Error ? e.name : typeof e }, 'Slack decision failed unexpectedly');
      deps.log.info({ code, approval_id: action.approvalId, slack_user: action.userId }, 'Slack decision refused');
      refuse(code, 200);
      if (action.responseUrl) void respond(action.responseUrl, responseOrigin(), { response_type: 'ephemeral', replace_original: false, text: `keyward refused your ${action.decision}: ${code} — ${ERRORS[code].message}` }, deps.log, action.approvalId);
    }
    return true;
  };

  async function decide(action: SlackAction) {
    const runtime = deps.runtime();
    const who = runtime.config.approvals.slack?.users[action.userId];
    if (!who) throw new KeywardError('slack_user_unmapped');
    const existing = await deps.store.get(action.approvalId);
    if (!existing) throw new KeywardError('approval_not_found');
    const window = runtime.config.policy.rules.find((r) => r.name === existing.rule)?.approval?.window;
    const reason = `${action.decision === 'approve' ? 'approved' : 'denied'} in Slack (${action.userId})`;
    return deps.store.vote(action.approvalId, { subject: who.subject, issuer: who.issuer, groups: scopedGroups(who) }, action.decision, reason, window);
  }
}
