import http from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { countLines, until } from '../../helpers/wait.js';
import { approvalConfig, approverCall, createDashboard, waitForPending } from '../../helpers/approvals.js';
import { withTestDatabase } from '../../helpers/db.js';
import { startPgStack } from '../../helpers/pg-stack.js';

t.test('approvals: a decision on replica A wakes the Check held on replica B (LISTEN/NOTIFY)', async (t) => {
  const db = await withTestDatabase(t, { poolSize: 12 });
  // Replicas share one config, so one trusted issuer: groups are scoped by issuer (issuer-scope.test.ts).
  const b = await startPgStack(t, (issuer) => approvalConfig(issuer, { hold: '20s' }), db);
  const replicaA = await startPgStack(t, () => approvalConfig(b.issuer.issuer, { hold: '20s' }), db);
  const a = { ...replicaA, issuer: b.issuer };
  const started = Date.now();
  const held = createDashboard(b); // the agent talks to replica B
  const [pending] = await waitForPending(a); // the approver sees it on replica A
  const approved = await approverCall(a, `/api/approvals/${pending!.id}/approve`, 'bob', ['sre'], { method: 'POST', body: {} });
  t.equal(approved.status, 200);
  const res = await held;
  t.equal(res.status, 200, 'B let the call through');
  t.ok(Date.now() - started < 15_000, 'woken by the notification, not by the end of the hold');
  t.equal(b.datadog.received.filter((r) => r.path === '/api/v1/dashboard').length, 1);
});

interface Hook {
  url: string;
  bodies: unknown[];
  close(): Promise<void>;
}

async function webhook(failFirst: number): Promise<Hook> {
  const bodies: unknown[] = [];
  let calls = 0;
  const server = http.createServer((req, res) => {
    let data = '';
    req.on('data', (c: Buffer) => (data += c.toString()));
    req.on('end', () => {
      calls++;
      if (calls <= failFirst) {
        res.writeHead(503).end();
        return;
      }
      bodies.push(JSON.parse(data));
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, bodies, close: () => new Promise((r) => server.close(() => r())) };
}

t.test('approvals: webhook and Slack notifications, retried; a dead endpoint never loses the approval', async (t) => {
  const generic = await webhook(2);
  const slack = await webhook(0);
  t.teardown(async () => {
    await generic.close();
    await slack.close();
  });
  const s = await startPgStack(t, (issuer) =>
    approvalConfig(issuer, { hold: '200ms' }, { approvals: { webhook_url: generic.url, slack_webhook_url: slack.url, notify_attempts: 4, public_url: 'https://keyward.example.com' } }),
  );
  const first = await createDashboard(s);
  t.equal(first.status, 429);
  t.match(first.json.approve_url, /^https:\/\/keyward\.example\.com\/approvals#/);
  await s.tg.gate.approvals!.notifier.idle();
  t.match(generic.bodies, [{ event: 'approval.requested', approval_id: first.json.approval_id, agent: 'agent-1', method: 'POST', path: '/api/v1/dashboard', approve_url: first.json.approve_url }]);
  t.match(slack.bodies, [{ text: /agent agent-1 wants to POST \/api\/v1\/dashboard/, blocks: [{ type: 'section' }, { type: 'actions' }] }]);
  t.notOk(JSON.stringify(generic.bodies).includes('agent dashboard'), 'no payload in notifications');

  // Point both hooks at a closed port: the next approval is still created and usable.
  const reloads = countLines(s.tg.logs, 'configuration reloaded');
  s.tg.writeConfig({ ...approvalConfig(s.issuer.issuer, { hold: '200ms' }, { approvals: { webhook_url: 'http://127.0.0.1:1/x', notify_attempts: 2 } }), database: { schema: s.db.schema } });
  await until(() => countLines(s.tg.logs, 'configuration reloaded') > reloads);
  const other = await createDashboard(s, JSON.stringify({ title: 'second' }));
  t.equal(other.status, 429);
  await s.tg.gate.approvals!.notifier.idle();
  await approverCall(s, `/api/approvals/${String(other.json.approval_id)}/approve`, 'bob', ['sre'], { method: 'POST', body: {} });
  t.equal((await createDashboard(s, JSON.stringify({ title: 'second' }))).status, 200);
  t.ok(s.tg.logs().some((l) => l.includes('approval notification failed after retries')));
});
