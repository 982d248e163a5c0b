import t from 'tap';
import { approvalConfig, approvalSteps, approverCall, waitForPending } from '../helpers/approvals.js';
import { KEYS } from '../helpers/gate.js';
import { startPgStack } from '../helpers/pg-stack.js';
import { datadogAgent } from './agent.js';

t.test('e2e: the Datadog client creates a dashboard; held for approval, approved by a human, it proceeds', async (t) => {
  const s = await startPgStack(t, (issuer) => approvalConfig(issuer, { hold: '20s' }));
  const agent = datadogAgent(s.door.url, () => s.bearer('agent-1', ['agents']));
  const created = agent.dashboards.createDashboard({
    body: { title: 'Agent dashboard', layoutType: 'ordered', description: 'made by an agent; pager key sk_live_51H8abcdefghijklmnopqrstuv', widgets: [{ definition: { type: 'note', content: 'hello' } }] },
  });
  const [pending] = await waitForPending(s);
  t.match(pending!.masked_body, /Agent dashboard/);
  t.notOk(pending!.masked_body?.includes('sk_live_51H8abcdefghijklmnopqrstuv'), 'the approver sees the payload masked');
  await approverCall(s, `/api/approvals/${pending!.id}/approve`, 'bob', ['sre'], { method: 'POST', body: { reason: 'ok' } });
  const dashboard = await created;
  t.equal(dashboard.id, 'abc-def-ghi', 'the client got Datadog\'s answer');
  const got = s.datadog.received.filter((r) => r.path === '/api/v1/dashboard');
  t.equal(got.length, 1);
  t.equal(got[0]!.headers['dd-api-key'], KEYS.prodApi);
  t.equal(got[0]!.headers['dd-application-key'], KEYS.prodApp);
  t.notOk(got[0]!.text.includes('sk_live_51H8abcdefghijklmnopqrstuv'), 'Datadog received the masked payload');
  t.same(await approvalSteps(s, pending!.id), ['requested', 'approval', 'approved', 'consumed']);
  const rows = await s.db.pool.query(`SELECT decision, approval_id FROM "${s.db.schema}".calls WHERE path = '/api/v1/dashboard' AND decision = 'allow'`);
  t.same(rows.rows, [{ decision: 'allow', approval_id: pending!.id }]);
  const payloads = await s.db.pool.query(`SELECT masked_body FROM "${s.db.schema}".payloads WHERE direction = 'request'`);
  t.ok(payloads.rows.length >= 1);
  t.notOk(JSON.stringify(payloads.rows).includes('sk_live_51H8abcdefghijklmnopqrstuv'));
});
