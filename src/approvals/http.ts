import type http from 'node:http';
import type { AdminHandler } from '../admin/server.js';
import { sendJson } from '../admin/server.js';
import { ERRORS, KeywardError, isKeywardError, type ErrorCode } from '../errors.js';
import type { IdentityVerifier } from '../identity/verify.js';
import type { Runtime } from '../runtime.js';
import type { ApprovalListener } from './listener.js';
import { APPROVALS_PAGE } from './page.js';
import { prettyJson } from './pretty.js';
import type { ApprovalStatus } from './rules.js';
import type { ApprovalRecord, ApprovalStore } from './store.js';

export interface ApprovalsHttpDeps {
  readonly store: ApprovalStore;
  readonly listener: ApprovalListener;
  readonly verify: IdentityVerifier;
  readonly runtime: () => Runtime;
}

const STATUSES = ['pending', 'approved', 'denied', 'expired', 'consumed', 'open'] as const;

/** What approvers get for one approval: its state, the masked body pretty-printed, the votes. */
export function approvalView(a: ApprovalRecord) {
  return {
    id: a.id,
    status: a.status,
    request_id: a.request_id,
    agent: { subject: a.subject, issuer: a.issuer, owner: a.owner },
    connection: a.connection,
    method: a.method,
    path: a.path,
    operation_class: a.operation_class,
    rule: a.rule,
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

function refuse(res: http.ServerResponse, code: ErrorCode) {
  sendJson(res, ERRORS[code].http, { error: { code, message: ERRORS[code].message } });
}

async function readJson(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 64 * 1024) throw new KeywardError('request_invalid', 'body too large');
    chunks.push(chunk as Buffer);
  }
  if (size === 0) return {};
  try {
    const v = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
    return v as Record<string, unknown>;
  } catch {
    throw new KeywardError('request_invalid', 'invalid JSON');
  }
}

/**
 * Admin routes for human approvers: the page at /approvals, and a JSON API under /api/approvals
 * authenticated with the approver's own OIDC token (the same issuers and verification as agents).
 */
export function approvalsHandler(deps: ApprovalsHttpDeps): AdminHandler {
  return async (req, res, url) => {
    if (req.method === 'GET' && url.pathname === '/approvals') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'content-security-policy': "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'" });
      res.end(APPROVALS_PAGE);
      return true;
    }
    if (!url.pathname.startsWith('/api/approvals')) return false;
    try {
      const runtime = deps.runtime();
      const approver = await deps.verify(req.headers.authorization, runtime.config.identity.issuers);
      const parts = url.pathname.split('/').filter(Boolean); // api, approvals, [id], [action]
      // Approvers see the requests they may decide, nothing else: bodies and paths are not for every token.
      const mayDecide = (a: { approvers: readonly string[] }) => a.approvers.some((g) => approver.groups.includes(g));
      if (req.method === 'GET' && parts.length === 2) {
        const status = (url.searchParams.get('status') ?? 'pending') as ApprovalStatus | 'open';
        if (!(STATUSES as readonly string[]).includes(status)) throw new KeywardError('request_invalid', 'unknown status');
        sendJson(res, 200, { approvals: (await deps.store.list(status)).filter(mayDecide).map(approvalView) });
        return true;
      }
      if (req.method === 'GET' && parts.length === 3 && parts[2] === 'events') {
        const approverGroups = runtime.config.policy.rules.flatMap((r) => r.approval?.approvers ?? []);
        if (!mayDecide({ approvers: approverGroups })) throw new KeywardError('approval_forbidden');
        streamEvents(res, deps.listener);
        return true;
      }
      const id = parts[2];
      if (id === undefined) return false;
      if (req.method === 'GET' && parts.length === 3) {
        const a = await deps.store.get(id);
        if (!a) throw new KeywardError('approval_not_found');
        if (!mayDecide(a)) throw new KeywardError('approval_forbidden');
        sendJson(res, 200, approvalView(a));
        return true;
      }
      if (req.method === 'POST' && parts.length === 4 && (parts[3] === 'approve' || parts[3] === 'deny')) {
        const body = await readJson(req);
        const reason = typeof body.reason === 'string' && body.reason.trim() !== '' ? body.reason.trim().slice(0, 1000) : null;
        if (parts[3] === 'deny' && reason === null) throw new KeywardError('request_invalid', 'a denial needs a reason');
        const existing = await deps.store.get(id);
        if (!existing) throw new KeywardError('approval_not_found');
        const window = runtime.config.policy.rules.find((r, i) => (r.name ?? `rule-${i}`) === existing.rule)?.approval?.window;
        const decided = await deps.store.vote(id, { subject: approver.subject, issuer: approver.issuer, groups: approver.groups }, parts[3] === 'approve' ? 'approve' : 'deny', reason, window);
        sendJson(res, 200, approvalView(decided));
        return true;
      }
      return false;
    } catch (e) {
      if (isKeywardError(e)) refuse(res, e.code);
      else refuse(res, 'internal_error');
      return true;
    }
  };
}

function streamEvents(res: http.ServerResponse, listener: ApprovalListener) {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
  res.write(': connected\n\n');
  const unsubscribe = listener.onChange((id) => res.write(`event: change\ndata: ${JSON.stringify({ id })}\n\n`));
  const ping = setInterval(() => res.write(': ping\n\n'), 15_000);
  res.on('close', () => {
    clearInterval(ping);
    unsubscribe();
  });
}
