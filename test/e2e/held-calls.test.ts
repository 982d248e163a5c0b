import t from 'tap';
import { approvalConfig, approverCall, waitForPending } from '../helpers/approvals.js';
import { startPgStack, type PgStack } from '../helpers/pg-stack.js';
import { datadogAgent, refusal } from './agent.js';

const MONITOR = { name: 'CPU high', type: 'metric alert' as const, query: 'avg(last_5m):avg:system.cpu.user{*} > 90', message: 'CPU high @slack-ops' };

/** A short hold and a one-second wait hint, so the client's own retries come round quickly. */
const config = (issuer: string) => approvalConfig(issuer, { hold: '1s' }, { approvals: { retry_after: '1s' } });

/** Waits until the audit holds a `pending` call row for the monitor: the agent has had a 429 and is retrying. */
async function untilHeld(s: PgStack, count = 1): Promise<void> {
  const end = Date.now() + 30_000;
  for (;;) {
    const r = await s.db.pool.query(`SELECT count(*)::int AS n FROM "${s.db.schema}".calls WHERE path = '/api/v1/monitor' AND decision = 'pending'`);
    if ((r.rows[0] as { n: number }).n >= count) return;
    if (Date.now() > end) throw new Error('the call was never held');
    await new Promise((r) => setTimeout(r, 50));
  }
}

t.test('e2e: a held call answers 429 with approval_pending; without enableRetry the client rejects, never resolves as created', async (t) => {
  const s = await startPgStack(t, config);
  const agent = datadogAgent(s.door.url, () => s.bearer('agent-1', ['agents']));
  const r = await refusal(agent.monitors.createMonitor({ body: MONITOR }));
  t.equal(r.code, 429, 'not a 2xx: no client reads it as done');
  const body = r.body as { approval_id: string; status: string; done: boolean; retry_after: number; approve_url: string; error: { code: string; message: string } };
  t.equal(body.error.code, 'approval_pending');
  t.match(body.error.message, /not carried out/);
  t.equal(body.status, 'pending');
  t.equal(body.done, false);
  t.equal(body.retry_after, 1);
  t.match(body.approve_url, new RegExp(`/approvals#${body.approval_id}$`));
  t.equal(s.datadog.received.filter((x) => x.path === '/api/v1/monitor').length, 0, 'nothing reached Datadog');
  const raw = await fetch(`${s.door.url}/api/v1/monitor`, { method: 'POST', headers: { authorization: await s.bearer('agent-1', ['agents']), 'content-type': 'application/json' }, body: JSON.stringify(MONITOR) });
  t.equal(raw.status, 429);
  t.equal(raw.headers.get('x-ratelimit-reset'), '1', 'the official clients wait this many seconds before retrying');
  t.equal(raw.headers.get('retry-after'), '1');
  t.equal(raw.headers.get('x-ratelimit-name'), 'keyward_approval');
});

t.test('e2e: with enableRetry the client keeps retrying the held call and resolves with the monitor once a human approves', async (t) => {
  const s = await startPgStack(t, config);
  const agent = datadogAgent(s.door.url, () => s.bearer('agent-1', ['agents']), { enableRetry: true, maxRetries: 100 });
  const created = agent.monitors.createMonitor({ body: MONITOR });
  const [pending] = await waitForPending(s);
  await untilHeld(s, 2);
  t.equal(s.datadog.received.filter((x) => x.path === '/api/v1/monitor').length, 0, 'held: nothing forwarded yet');
  const vote = await approverCall(s, `/api/approvals/${pending!.id}/approve`, 'bob', ['sre'], { method: 'POST', body: { reason: 'ok' } });
  t.equal(vote.status, 200);
  const monitor = await created;
  t.equal(monitor.id, 42, 'resolved with the monitor Datadog created');
  t.equal(monitor.message, 'CPU high @slack-ops', 'and its notification handle intact');
  t.equal(s.datadog.received.filter((x) => x.path === '/api/v1/monitor').length, 1, 'created once');
});

t.test('e2e: with enableRetry a denial ends the retries: the client rejects with the approver reason', async (t) => {
  const s = await startPgStack(t, config);
  const agent = datadogAgent(s.door.url, () => s.bearer('agent-1', ['agents']), { enableRetry: true, maxRetries: 100 });
  const created = refusal(agent.monitors.createMonitor({ body: MONITOR }));
  const [pending] = await waitForPending(s);
  await untilHeld(s);
  const vote = await approverCall(s, `/api/approvals/${pending!.id}/deny`, 'bob', ['sre'], { method: 'POST', body: { reason: 'not during the freeze' } });
  t.equal(vote.status, 200);
  const r = await created;
  t.equal(r.code, 403);
  const err = (r.body as { error: { code: string; reason: string; approval_id: string } }).error;
  t.equal(err.code, 'approval_denied');
  t.equal(err.reason, 'not during the freeze');
  t.equal(err.approval_id, pending!.id);
  t.equal(s.datadog.received.filter((x) => x.path === '/api/v1/monitor').length, 0, 'never forwarded');
});
