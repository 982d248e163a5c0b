import t from 'tap';
import { approvalConfig, approverCall, createDashboard, DASHBOARD } from '../../helpers/approvals.js';
import { startPgStack } from '../../helpers/pg-stack.js';
import { startDevIssuer } from '../../../dev/dev-issuer.js';

const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;

t.test('approvals: a body Envoy truncated cannot be bound to an approval → 413 body_partial', async (t) => {
  const s = await startPgStack(t, (issuer) => approvalConfig(issuer, { hold: '200ms' }));
  const res = await s.tg.check({
    method: 'POST',
    path: '/api/v1/dashboard',
    headers: { authorization: await s.bearer('agent-1', ['agents']), 'content-type': 'application/json', 'x-envoy-auth-partial-body': 'true' },
    body: Buffer.from('{"title":"trunc'),
  });
  t.equal(res.denied_response?.status?.code, 'PayloadTooLarge');
  t.equal((JSON.parse(res.denied_response!.body!) as { error: { code: string } }).error.code, 'body_partial');
  const open = await s.db.pool.query(`SELECT count(*)::int AS n FROM "${s.db.schema}".approvals`);
  t.equal(open.rows[0].n, 0, 'no approval request was opened');
});

t.test('approvals: outside the rule time window a vote is refused → 403 approval_window_closed', async (t) => {
  const notToday = DAYS.filter((_, i) => i !== new Date().getUTCDay());
  const s = await startPgStack(t, (issuer) => approvalConfig(issuer, { hold: '200ms', window: { days: notToday } }));
  const id = String((await createDashboard(s)).json.approval_id);
  const vote = await approverCall(s, `/api/approvals/${id}/approve`, 'bob', ['sre'], { method: 'POST', body: {} });
  t.equal(vote.status, 403);
  t.equal(vote.json.error?.code, 'approval_window_closed');
  t.equal((await createDashboard(s)).status, 429, 'still pending');
});

t.test('approvals admin API: unknown id → 404 approval_not_found; unknown status → 400 request_invalid; bad JSON → 400', async (t) => {
  const s = await startPgStack(t, (issuer) => approvalConfig(issuer));
  t.match(await approverCall(s, '/api/approvals/nope', 'bob', ['sre']), { status: 404, json: { error: { code: 'approval_not_found' } } });
  t.match(await approverCall(s, '/api/approvals/nope/approve', 'bob', ['sre'], { method: 'POST', body: {} }), { status: 404 });
  t.match(await approverCall(s, '/api/approvals?status=weird', 'bob', ['sre']), { status: 400, json: { error: { code: 'request_invalid' } } });
  const token = await s.issuer.mint({ subject: 'bob', groups: ['sre'] });
  const bad = await fetch(`${s.tg.gate.adminUrl}/api/approvals/x/deny`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: '{not json' });
  t.equal(bad.status, 400);
  const noSub = await s.issuer.mint({ subject: '', groups: ['sre'] });
  const anonymous = await fetch(`${s.tg.gate.adminUrl}/api/approvals`, { headers: { authorization: `Bearer ${noSub}` } });
  t.equal(anonymous.status, 401);
  t.match(await anonymous.json(), { error: { code: 'token_claims_invalid' } });
});

t.test('approvals admin API: only members of the request approver groups can see it', async (t) => {
  const s = await startPgStack(t, (issuer) => approvalConfig(issuer, { hold: '200ms' }));
  const id = String((await createDashboard(s)).json.approval_id);
  const outsider = await approverCall(s, `/api/approvals/${id}`, 'eve', ['agents']);
  t.equal(outsider.status, 403);
  t.equal(outsider.json.error?.code, 'approval_forbidden');
  const list = await approverCall(s, '/api/approvals?status=pending', 'eve', ['agents']);
  t.same((list.json as { approvals: unknown[] }).approvals, [], 'the list shows nothing to an outsider');
  const token = await s.issuer.mint({ subject: 'eve', groups: ['agents'] });
  const events = await fetch(`${s.tg.gate.adminUrl}/api/approvals/events`, { headers: { authorization: `Bearer ${token}` } });
  t.equal(events.status, 403);
  t.equal((await approverCall(s, `/api/approvals/${id}`, 'bob', ['sre'])).status, 200);
});

t.test('approvals: when Envoy gives up on a held Check, the approval is not consumed by it', async (t) => {
  const s = await startPgStack(t, (issuer) => approvalConfig(issuer, { hold: '20s' }));
  const headers = { authorization: await s.bearer('agent-1', ['agents']), 'content-type': 'application/json' };
  // A Check with a 500 ms deadline, as an Envoy whose timeout is shorter than the hold (the client
  // is connected first, so the deadline is spent in the hold, not in setting up the channel).
  await s.tg.check({ method: 'GET', path: '/api/v1/validate', headers: { authorization: headers.authorization } });
  const cancelled = new Promise<string>((resolve) =>
    s.tg.client.Check(
      { attributes: { request: { http: { method: 'POST', path: '/api/v1/dashboard', headers, raw_body: Buffer.from('{"title":"t"}') } } } },
      { deadline: Date.now() + 500 },
      (err) => resolve(err ? 'deadline' : 'answered'),
    ),
  );
  t.equal(await cancelled, 'deadline');
  const [pending] = await (await import('../../helpers/approvals.js')).waitForPending(s);
  await approverCall(s, `/api/approvals/${pending!.id}/approve`, 'bob', ['sre'], { method: 'POST', body: {} });
  await new Promise((r) => setTimeout(r, 300));
  const row = await s.db.pool.query(`SELECT status FROM "${s.db.schema}".approvals WHERE id = $1`, [pending!.id]);
  t.equal(row.rows[0].status, 'approved', 'still there for the retry');
  const retry = await fetch(`${s.door.url}/api/v1/dashboard`, { method: 'POST', headers, body: '{"title":"t"}' });
  t.equal(retry.status, 200, 'the retry uses it');
});

t.test('approvals: an approval is bound to the agent issuer too — the same `sub` from another issuer cannot use it', async (t) => {
  const other = await startDevIssuer();
  t.teardown(() => other.close());
  const s = await startPgStack(t, (issuer) => {
    const config = approvalConfig(issuer, { hold: '200ms' });
    const scoped = { ...config, connections: config.connections.map((c) => ({ ...c, groups: [`${issuer}#agents`, `${other.issuer}#agents`] })) };
    scoped.policy.rules[1]!.approval!.approvers = [`${issuer}#sre`];
    return { ...scoped, identity: { issuers: [...config.identity.issuers, { issuer: other.issuer, audiences: ['keyward'], owner_claim: 'owner' }] } };
  });
  const first = await createDashboard(s);
  t.equal(first.status, 429);
  const approved = await approverCall(s, `/api/approvals/${String(first.json.approval_id)}/approve`, 'bob', ['sre'], { method: 'POST', body: {} });
  t.equal(approved.status, 200);
  const token = await other.mint({ subject: 'agent-1', groups: ['agents'], extra: { owner: 'owner-alice' } });
  const impostor = await fetch(`${s.door.url}/api/v1/dashboard`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: DASHBOARD });
  const json = (await impostor.json()) as { approval_id?: string };
  t.equal(impostor.status, 429, 'the other issuer agent gets its own pending request');
  t.not(json.approval_id, first.json.approval_id);
  t.equal((await createDashboard(s)).status, 200, 'the approval is still there for the agent it was granted to');
  t.equal(s.datadog.received.filter((r) => r.path === '/api/v1/dashboard').length, 1, 'one dashboard reached Datadog');
});

t.test('approvals: bound to the path as sent — two targets that mask alike need two approvals', async (t) => {
  const s = await startPgStack(t, (issuer) => approvalConfig(issuer, { hold: '200ms' }));
  const headers = { authorization: await s.bearer('agent-1', ['agents']), 'content-type': 'application/json' };
  const call = (ip: string) => fetch(`${s.door.url}/api/v1/dashboard?note=${ip}`, { method: 'POST', headers, body: DASHBOARD }).then(async (r) => ({ status: r.status, json: (await r.json()) as { approval_id?: string } }));
  const first = await call('203.0.113.7');
  t.equal(first.status, 429);
  t.equal((await approverCall(s, `/api/approvals/${first.json.approval_id!}/approve`, 'bob', ['sre'], { method: 'POST', body: {} })).status, 200);
  const other = await call('198.51.100.9');
  t.equal(other.status, 429, 'the other target waits for its own approval');
  t.not(other.json.approval_id, first.json.approval_id);
  t.equal((await call('203.0.113.7')).status, 200, 'the approved one passes');
  const shown = await approverCall(s, `/api/approvals/${other.json.approval_id!}`, 'bob', ['sre']);
  t.notOk(JSON.stringify(shown.json).includes('198.51.100.9'), 'approvers still see the masked path');
});
