import { readFileSync } from 'node:fs';
import t from 'tap';
import { approvalConfig, approvalSteps, approverCall, createDashboard, DASHBOARD, waitForPending } from '../../helpers/approvals.js';
import { auditRowOf, startPgStack, type PgStack } from '../../helpers/pg-stack.js';

t.test('approvals: hold, then approve within the hold → the call proceeds, every step audited', async (t) => {
  const s = await startPgStack(t, (issuer) => approvalConfig(issuer, { hold: '20s' }));
  const call = createDashboard(s);
  const [pending] = await waitForPending(s);
  t.equal(pending!.masked_body?.includes('agent dashboard'), true, 'the approver sees the (masked) payload');
  const before = s.datadog.received.length;
  const approved = await approverCall(s, `/api/approvals/${pending!.id}/approve`, 'bob', ['sre'], { method: 'POST', body: { reason: 'looks fine' } });
  t.equal(approved.status, 200);
  t.equal(approved.json.status, 'approved');
  const res = await call;
  t.equal(res.status, 200, 'the held call went through');
  t.equal(res.json.id, 'abc-def-ghi');
  t.equal(s.datadog.received.length, before + 1);
  t.same(await approvalSteps(s, pending!.id), ['requested', 'approval', 'approved', 'consumed']);
  const row = await s.db.pool.query(`SELECT approval_id, decision FROM "${s.db.schema}".calls WHERE request_id = $1`, [res.headers.get('x-keyward-request-id')]);
  t.same(row.rows, [{ approval_id: pending!.id, decision: 'allow' }]);
  const order = await s.db.pool.query(`SELECT event FROM (SELECT time, 'call' AS event FROM "${s.db.schema}".calls WHERE request_id = $1 UNION ALL SELECT time, step FROM "${s.db.schema}".approval_events WHERE approval_id = $2) x ORDER BY time`, [res.headers.get('x-keyward-request-id'), pending!.id]);
  t.same(order.rows.map((r) => r.event), ['call', 'requested', 'approval', 'approved', 'consumed'], 'the call is dated when it arrived, before the approval it waited for');
  // The README's compliance query, as printed there, answers "who approved it and what was sent".
  const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
  const query = /-- Who approved[^\n]*\n([\s\S]*?;)/.exec(readme)![1]!.replaceAll('keyward.', `"${s.db.schema}".`);
  const answer = await s.db.pool.query(query);
  t.match(answer.rows, [{ agent: 'agent-1', path: '/api/v1/dashboard', approver: 'bob', masked_body: /agent dashboard/ }]);
});

t.test('approvals: not decided within the hold → 429 pending with Retry-After; the retry passes once approved', async (t) => {
  const s = await startPgStack(t, (issuer) => approvalConfig(issuer, { hold: '300ms' }));
  const first = await createDashboard(s);
  t.equal(first.status, 429);
  t.match(first.json, { status: 'pending', retry_after: 30, approval_id: /^[0-9a-f-]{36}$/, approve_url: /\/approvals#/ });
  t.equal(first.headers.get('retry-after'), '30');
  t.equal(first.json.error?.code, 'approval_pending');
  t.same([await auditRowOf(s, first.headers.get('x-keyward-request-id'), 'approval_id, reason_code')], [{ approval_id: first.json.approval_id, reason_code: 'approval_pending' }], 'the held call row names its approval');
  const again = await createDashboard(s);
  t.equal(again.json.approval_id, first.json.approval_id, 'the same call maps to the same approval');
  await approverCall(s, `/api/approvals/${String(first.json.approval_id)}/approve`, 'bob', ['sre'], { method: 'POST', body: {} });
  const retry = await createDashboard(s);
  t.equal(retry.status, 200);
  const used = await createDashboard(s);
  t.equal(used.status, 429, 'an approval is used once: the next identical call needs a new one');
  t.not(used.json.approval_id, first.json.approval_id);
});

t.test('approvals: denied → 403 approval_denied with the approver reason', async (t) => {
  const s = await startPgStack(t, (issuer) => approvalConfig(issuer, { hold: '20s' }));
  const call = createDashboard(s);
  const [pending] = await waitForPending(s);
  const noReason = await approverCall(s, `/api/approvals/${pending!.id}/deny`, 'bob', ['sre'], { method: 'POST', body: {} });
  t.equal(noReason.status, 400, 'a denial needs a reason');
  await approverCall(s, `/api/approvals/${pending!.id}/deny`, 'bob', ['sre'], { method: 'POST', body: { reason: 'not during the freeze' } });
  const res = await call;
  t.equal(res.status, 403);
  t.match(res.json.error, { code: 'approval_denied', reason: 'not during the freeze' });
  t.same([await auditRowOf(s, res.headers.get('x-keyward-request-id'), 'approval_id, reason_code')], [{ approval_id: pending!.id, reason_code: 'approval_denied' }], 'the denied call row names the approval: who denied it is one join away');
  t.same(await approvalSteps(s, pending!.id), ['requested', 'denial']);
});

t.test('approvals: expired → 403 approval_expired (time moved through the gate\'s clock, not slept)', async (t) => {
  let skew = 0;
  const clock = () => Date.now() + skew;
  const s = await startPgStack(t, (issuer) => approvalConfig(issuer, { hold: '200ms', ttl: '30s' }), undefined, { clock });
  const first = await createDashboard(s);
  t.equal(first.status, 429);
  const left = Date.parse(String(first.json.expires_at)) - clock();
  t.ok(left > 25_000 && left <= 30_000, 'expires_at is the TTL ahead on the gate\'s clock');
  const early = await createDashboard(s);
  t.equal(early.json.error?.code, 'approval_pending', 'before the TTL the approval is still open');
  skew = left + 1_000;
  const late = await approverCall(s, `/api/approvals/${String(first.json.approval_id)}/approve`, 'bob', ['sre'], { method: 'POST', body: {} });
  t.equal(late.json.error?.code, 'approval_closed', 'an expired request cannot be approved');
  const res = await createDashboard(s);
  t.equal(res.status, 403);
  t.equal(res.json.error?.code, 'approval_expired');
  t.ok((await approvalSteps(s, String(first.json.approval_id))).includes('expired'));
});

t.test('approvals: self-approval (agent or its owner) and approvers outside the group are refused', async (t) => {
  const s = await startPgStack(t, (issuer) => approvalConfig(issuer, { hold: '200ms' }));
  const first = await createDashboard(s);
  const id = String(first.json.approval_id);
  const approve = (subject: string, groups: string[]) => approverCall(s, `/api/approvals/${id}/approve`, subject, groups, { method: 'POST', body: {} });
  t.equal((await approve('agent-1', ['sre'])).json.error?.code, 'approval_self');
  t.equal((await approve('owner-alice', ['sre'])).json.error?.code, 'approval_self');
  t.equal((await approve('mallory', ['agents'])).json.error?.code, 'approval_forbidden');
  const anonymous = await fetch(`${s.tg.gate.adminUrl}/api/approvals/${id}/approve`, { method: 'POST' });
  t.equal(anonymous.status, 401);
  t.equal((await createDashboard(s)).status, 429, 'still pending');
});

t.test('approvals: min_approvals 2 needs two distinct approvers', async (t) => {
  const s = await startPgStack(t, (issuer) => approvalConfig(issuer, { hold: '200ms', min_approvals: 2 }));
  const id = String((await createDashboard(s)).json.approval_id);
  const one = await approverCall(s, `/api/approvals/${id}/approve`, 'bob', ['sre'], { method: 'POST', body: {} });
  t.equal(one.json.status, 'pending');
  const twice = await approverCall(s, `/api/approvals/${id}/approve`, 'bob', ['sre'], { method: 'POST', body: {} });
  t.equal(twice.json.error?.code, 'approval_duplicate');
  t.equal((await createDashboard(s)).status, 429);
  const two = await approverCall(s, `/api/approvals/${id}/approve`, 'carol', ['sre'], { method: 'POST', body: {} });
  t.equal(two.json.status, 'approved');
  t.equal((await createDashboard(s)).status, 200);
});

t.test('approvals: a payload changed after approval needs a new approval', async (t) => {
  const s = await startPgStack(t, (issuer) => approvalConfig(issuer, { hold: '200ms' }));
  const id = String((await createDashboard(s)).json.approval_id);
  await approverCall(s, `/api/approvals/${id}/approve`, 'bob', ['sre'], { method: 'POST', body: {} });
  const changed = await createDashboard(s, DASHBOARD.replace('hello', 'rm -rf /'));
  t.equal(changed.status, 429);
  t.not(changed.json.approval_id, id);
  t.equal((await createDashboard(s)).status, 200, 'the approved payload still passes');
});

t.test('approvals: concurrent retries consume an approval exactly once', async (t) => {
  const s = await startPgStack(t, (issuer) => approvalConfig(issuer, { hold: '200ms' }));
  const id = String((await createDashboard(s)).json.approval_id);
  await approverCall(s, `/api/approvals/${id}/approve`, 'bob', ['sre'], { method: 'POST', body: {} });
  const before = s.datadog.received.length;
  const results = await Promise.all(Array.from({ length: 6 }, () => createDashboard(s)));
  t.same(results.map((r) => r.status).sort(), [200, 429, 429, 429, 429, 429]);
  t.equal(s.datadog.received.length, before + 1, 'Datadog got the call once');
  t.same((await approvalSteps(s, id)).filter((x) => x === 'consumed'), ['consumed']);
});

