import { timingSafeEqual } from 'node:crypto';
import type http from 'node:http';
import type { AdminHandler } from '../admin/server.js';
import { sendJson } from '../admin/server.js';
import { ERRORS, KeywardError, isKeywardError, type ErrorCode } from '../errors.js';
import type { IdentityVerifier } from '../identity/verify.js';
import { scopedGroups } from '../identity/group-scope.js';
import type { Runtime } from '../config/compile.js';
import { DIFFED_METHODS, readCurrentObject, type CurrentObjectDeps } from './current-object.js';
import { cachedCurrentObject } from './current-object-cache.js';
import type { ApprovalListener } from './listener.js';
import { APPROVALS_PAGE } from './page.js';
import { signInFailurePage, wantsPage } from './sign-in-failure.js';
import type { ApprovalStatus } from './rules.js';
import type { SignIn } from './sign-in.js';
import type { ApprovalRecord, ApprovalStore } from './store.js';
import { approvalView } from './view.js';

export interface ApprovalsHttpDeps {
  readonly store: ApprovalStore;
  readonly listener: ApprovalListener;
  readonly verify: IdentityVerifier;
  readonly runtime: () => Runtime;
  /** The page's OIDC sign-in and cookie sessions; absent → bearer tokens only. */
  readonly signIn?: SignIn;
  /** How the current object of an update is read from Datadog (tests: the fake). */
  readonly currentObject?: CurrentObjectDeps;
  readonly now?: () => Date;
}

const STATUSES = ['pending', 'approved', 'denied', 'expired', 'consumed', 'open'] as const;
const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'cache-control': 'no-store',
  'content-security-policy': "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; frame-ancestors 'none'; form-action 'self'",
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
};
export const CSRF_HEADER = 'x-keyward-csrf';

function refuse(res: http.ServerResponse, e: { code: ErrorCode; extras?: KeywardError['extras'] }) {
  for (const [k, v] of Object.entries(e.extras?.headers ?? {})) res.setHeader(k, v);
  sendJson(res, ERRORS[e.code].http, { ...e.extras?.body, error: { code: e.code, message: ERRORS[e.code].message, ...e.extras?.error } });
}

/** Sign-in runs in the browser's address bar: a failure there is a page, not JSON. */
function refusePage(res: http.ServerResponse, e: KeywardError) {
  for (const [k, v] of Object.entries(e.extras?.headers ?? {})) res.setHeader(k, v);
  res.writeHead(ERRORS[e.code].http, PAGE_HEADERS);
  res.end(signInFailurePage(e.code, e.detail));
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

interface Approver {
  readonly subject: string;
  readonly issuer: string;
  /** Issuer-scoped (identity/group-scope.ts). */
  readonly groups: readonly string[];
  /** Set for a cookie session: decisions must carry it. */
  readonly csrfToken: string | null;
  readonly cookie: string | null;
}

const sameToken = (a: string, b: string) => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/**
 * A cookie-authenticated change must come from this page: its CSRF token (synchronizer, kept in the
 * session row) in a header a cross-site form cannot set, and no foreign Origin or Fetch-Metadata site.
 */
function checkCsrf(req: http.IncomingMessage, approver: Approver): void {
  if (approver.csrfToken === null) return;
  const sent = req.headers[CSRF_HEADER];
  if (typeof sent !== 'string' || !sameToken(sent, approver.csrfToken)) throw new KeywardError('csrf_invalid', 'missing or wrong CSRF token');
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin') throw new KeywardError('csrf_invalid', `sec-fetch-site ${String(site)}`);
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== 'null') {
    let host = '';
    try {
      host = new URL(origin).host;
    } catch {
      // not a URL: refused below
    }
    if (host !== req.headers.host) throw new KeywardError('csrf_invalid', 'foreign origin');
  }
  if (origin === 'null') throw new KeywardError('csrf_invalid', 'opaque origin');
}

/**
 * Admin routes for human approvers: the page at /approvals with its OIDC sign-in, and a JSON API
 * under /api/approvals for the page (session cookie + CSRF token) and the CLI (the approver's own
 * bearer token, verified like an agent's).
 */
export function approvalsHandler(deps: ApprovalsHttpDeps): AdminHandler {
  const now = deps.now ?? (() => new Date());
  const currentObject = cachedCurrentObject((a, runtime) => readCurrentObject(a, runtime, deps.currentObject), { now: () => now().getTime() });

  async function approverOf(req: http.IncomingMessage, runtime: Runtime): Promise<Approver> {
    if (req.headers.authorization !== undefined) {
      const id = await deps.verify(req.headers.authorization, runtime.config.identity.issuers);
      return { subject: id.subject, issuer: id.issuer, groups: scopedGroups(id), csrfToken: null, cookie: null };
    }
    const found = await deps.signIn?.session(req);
    if (!found) throw new KeywardError('session_missing', undefined, { error: { sign_in: deps.signIn?.configured() ?? false } });
    return { ...found.session, cookie: found.cookie };
  }

  function viewOf(a: ApprovalRecord, runtime: Runtime) {
    const rule = runtime.config.policy.rules.find((r) => r.name === a.rule);
    return approvalView(a, { holdMs: rule?.approval?.hold ?? 0, retryAfterMs: runtime.config.approvals.retry_after, now: now() });
  }

  return async (req, res, url) => {
    try {
      if (req.method === 'GET' && url.pathname === '/approvals') {
        res.writeHead(200, PAGE_HEADERS);
        res.end(APPROVALS_PAGE);
        return true;
      }
      if (req.method === 'GET' && url.pathname === '/approvals/login') {
        if (!deps.signIn) throw new KeywardError('sign_in_unconfigured');
        await deps.signIn.login(res, url);
        return true;
      }
      if (req.method === 'GET' && url.pathname === '/approvals/callback') {
        if (!deps.signIn) throw new KeywardError('sign_in_unconfigured');
        await deps.signIn.callback(req, res, url);
        return true;
      }
      if (!url.pathname.startsWith('/api/approvals')) return false;
      const runtime = deps.runtime();
      const approver = await approverOf(req, runtime);
      if (req.method !== 'GET') checkCsrf(req, approver);
      const parts = url.pathname.split('/').filter(Boolean); // api, approvals, [id], [action]
      // Approvers see the requests they may decide, nothing else: bodies and paths are not for every token.
      const mayDecide = (a: { approvers: readonly string[] }) => a.approvers.some((g) => approver.groups.includes(g));
      if (req.method === 'GET' && parts.length === 2) {
        const status = url.searchParams.get('status') ?? 'pending';
        if (status === 'history') {
          const q = (url.searchParams.get('q') ?? '').trim().slice(0, 200);
          sendJson(res, 200, { approvals: (await deps.store.history(q)).filter(mayDecide).map((a) => viewOf(a, runtime)) });
          return true;
        }
        if (!(STATUSES as readonly string[]).includes(status)) throw new KeywardError('request_invalid', 'unknown status');
        sendJson(res, 200, { approvals: (await deps.store.list(status as ApprovalStatus | 'open')).filter(mayDecide).map((a) => viewOf(a, runtime)) });
        return true;
      }
      if (parts.length === 3 && parts[2] === 'session') {
        if (req.method === 'GET') {
          sendJson(res, 200, { subject: approver.subject, issuer: approver.issuer, groups: approver.groups, csrf_token: approver.csrfToken, via: approver.cookie ? 'session' : 'bearer' });
          return true;
        }
        if (req.method === 'DELETE' && approver.cookie && deps.signIn) {
          await deps.signIn.logout(res, approver.cookie);
          return true;
        }
        return false;
      }
      if (req.method === 'GET' && parts.length === 3 && parts[2] === 'events') {
        if (!mayDecide({ approvers: runtime.config.policy.rules.flatMap((r) => r.approval?.approvers ?? []) })) throw new KeywardError('approval_forbidden');
        streamEvents(res, deps.listener);
        return true;
      }
      const id = parts[2];
      if (id === undefined) return false;
      if (req.method === 'GET' && parts.length === 3) {
        const a = await deps.store.get(id);
        if (!a) throw new KeywardError('approval_not_found');
        if (!mayDecide(a)) throw new KeywardError('approval_forbidden');
        // An update is shown against the object as it is now: read when the approval is opened.
        const current = DIFFED_METHODS.has(a.method.toUpperCase()) && (a.status === 'pending' || a.status === 'approved') && url.searchParams.get('current') !== 'no' ? await currentObject(a, runtime) : null;
        sendJson(res, 200, { ...viewOf(a, runtime), current });
        return true;
      }
      if (req.method === 'POST' && parts.length === 4 && (parts[3] === 'approve' || parts[3] === 'deny')) {
        const body = await readJson(req);
        const reason = typeof body.reason === 'string' && body.reason.trim() !== '' ? body.reason.trim().slice(0, 1000) : null;
        if (parts[3] === 'deny' && reason === null) throw new KeywardError('approval_reason_required');
        const existing = await deps.store.get(id);
        if (!existing) throw new KeywardError('approval_not_found');
        const window = runtime.config.policy.rules.find((r) => r.name === existing.rule)?.approval?.window;
        const decided = await deps.store.vote(id, { subject: approver.subject, issuer: approver.issuer, groups: approver.groups }, parts[3] === 'approve' ? 'approve' : 'deny', reason, window);
        sendJson(res, 200, viewOf(decided, runtime));
        return true;
      }
      return false;
    } catch (e) {
      if (isKeywardError(e) && wantsPage(req) && (url.pathname === '/approvals/login' || url.pathname === '/approvals/callback')) refusePage(res, e);
      else if (isKeywardError(e)) refuse(res, e);
      else refuse(res, { code: 'internal_error' });
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
