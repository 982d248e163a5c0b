import type { PgStack } from './pg-stack.js';

/** A policy where dashboard creation (config-change) needs `min` approvals from group "sre". */
export function approvalConfig(issuer: string, approval: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) {
  return {
    identity: { issuers: [{ issuer, audiences: ['keyward'], owner_claim: 'owner' }] },
    connections: [{ name: 'prod', site: 'datadoghq.com', api_key: '${env:DD_PROD_API}', app_key: '${env:DD_PROD_APP}', groups: ['agents'] }],
    policy: {
      rules: [
        { name: 'telemetry', match: { class: 'telemetry-write' }, action: 'allow' },
        { name: 'changes', match: { class: 'config-change' }, action: 'require_approval', approval: { approvers: ['sre'], min_approvals: 1, hold: '3s', ttl: '10m', ...approval } },
      ],
    },
    ...extra,
  };
}

export const DASHBOARD = JSON.stringify({ title: 'agent dashboard', layout_type: 'ordered', widgets: [{ definition: { type: 'note', content: 'hello' } }] });

export interface ApprovalJson {
  id: string;
  status: string;
  votes: { approver: string }[];
  masked_body: string | null;
  deny_reason: string | null;
}

/** The agent's call: POST a dashboard through the front door. */
export async function createDashboard(s: PgStack, body = DASHBOARD, subject = 'agent-1', door = s.door.url) {
  const res = await fetch(`${door}/api/v1/dashboard`, {
    method: 'POST',
    headers: { authorization: `Bearer ${await s.issuer.mint({ subject, groups: ['agents'], extra: { owner: 'owner-alice' } })}`, 'content-type': 'application/json' },
    body,
  });
  return { status: res.status, headers: res.headers, json: (await res.json()) as Record<string, unknown> & { error?: { code: string; reason?: string } } };
}

/** A human approver's call to the admin API. */
export async function approverCall(s: PgStack, path: string, subject: string, groups: string[], init: { method?: string; body?: unknown } = {}, admin = s.tg.gate.adminUrl) {
  const token = await s.issuer.mint({ subject, groups });
  const res = await fetch(`${admin}${path}`, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> & { error?: { code: string } } };
}

export async function pendingApprovals(s: PgStack): Promise<ApprovalJson[]> {
  const r = await approverCall(s, '/api/approvals?status=pending', 'bob', ['sre']);
  return (r.json as unknown as { approvals: ApprovalJson[] }).approvals;
}

export async function waitForPending(s: PgStack, count = 1): Promise<ApprovalJson[]> {
  const end = Date.now() + 10_000;
  for (;;) {
    const list = await pendingApprovals(s);
    if (list.length >= count) return list;
    if (Date.now() > end) throw new Error('no pending approval appeared');
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function approvalSteps(s: PgStack, approvalId: string): Promise<string[]> {
  const r = await s.db.pool.query(`SELECT step FROM "${s.db.schema}".approval_events WHERE approval_id = $1 ORDER BY time, seq`, [approvalId]);
  return (r.rows as { step: string }[]).map((x) => x.step);
}
