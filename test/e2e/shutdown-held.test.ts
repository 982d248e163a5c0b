import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { startDevIssuer } from '../../dev/dev-issuer.js';
import { startFakeDatadog } from '../../dev/fake-datadog.js';
import { startFrontDoor, type FrontDoor } from '../../dev/front-door.js';
import { envoyYamlFrontDoor } from '../../dev/options.js';
import { CLUSTER_HEADER } from '../../src/envoy/contract.js';
import { approvalConfig } from '../helpers/approvals.js';
import { KEYWARD_CLI } from '../helpers/child.js';
import { withTestDatabase } from '../helpers/db.js';
import { KEYS } from '../helpers/gate.js';
import { spawnServe, SERVE_ENV, type ServeChild } from '../helpers/serve-child.js';
import { fakeClusters } from '../helpers/stack.js';
import { until } from '../helpers/wait.js';
import { datadogAgent } from './agent.js';

const exec = promisify(execFile);
const MONITOR = { name: 'CPU high', type: 'metric alert' as const, query: 'avg(last_5m):avg:system.cpu.user{*} > 90', message: 'CPU high' };

/** A load balancer in front of two replicas' front doors: it forwards to whichever is current, and records each answer. */
async function startBalancer(target: () => string) {
  const answers: { status: number; body: string; retryAfter: string | null }[] = [];
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => k !== 'host' && k !== 'content-length' && k !== 'connection')) as Record<string, string>;
    try {
      const up = await fetch(`${target()}${req.url}`, { method: req.method!, headers, ...(chunks.length ? { body: Buffer.concat(chunks) } : {}) });
      const body = await up.text();
      answers.push({ status: up.status, body, retryAfter: up.headers.get('retry-after') });
      const out: Record<string, string> = {};
      up.headers.forEach((v, k) => {
        if (!['content-length', 'content-encoding', 'transfer-encoding', 'connection'].includes(k)) out[k] = v;
      });
      res.writeHead(up.status, out).end(body);
    } catch {
      answers.push({ status: 502, body: '', retryAfter: null });
      res.writeHead(502).end();
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, answers, close: () => new Promise<void>((r) => { server.close(() => r()); server.closeAllConnections(); }) };
}

t.test('e2e: SIGTERM while a call is held answers it at once with a retryable 503 gate_shutting_down, audits it, and another replica lets the retry through once approved', async (t) => {
  const db = await withTestDatabase(t, { poolSize: 4 });
  const issuer = await startDevIssuer();
  t.teardown(() => issuer.close());
  const datadog = await startFakeDatadog({ apiKeys: [KEYS.prodApi], appKeys: [KEYS.prodApp] });
  t.teardown(() => datadog.close());
  const dir = mkdtempSync(join(tmpdir(), 'kw-shutdown-'));
  // A hold far longer than the test may wait: only the shutdown can end it quickly.
  const config = { ...approvalConfig(issuer.issuer, { hold: '25s' }, { approvals: { retry_after: '1s' } }), database: { url: db.url, schema: db.schema } };
  const replicas: ServeChild[] = [];
  const doors: FrontDoor[] = [];
  for (const name of ['a', 'b']) {
    const r = await spawnServe(t, join(dir, `${name}.yaml`), config);
    const door = await startFrontDoor(envoyYamlFrontDoor('127.0.0.1:0', r.authz, r.proc, fakeClusters(datadog.url), CLUSTER_HEADER));
    t.teardown(() => door.close());
    replicas.push(r);
    doors.push(door);
  }
  const [a, b] = replicas as [ServeChild, ServeChild];
  let current = doors[0]!.url;
  const lb = await startBalancer(() => current);
  t.teardown(() => lb.close());

  // The official client with its own retry of 429 and 5xx, as an agent runs it.
  const agent = datadogAgent(lb.url, async () => `Bearer ${await issuer.mint({ subject: 'agent-1', groups: ['agents'] })}`, { enableRetry: true, maxRetries: 100 });
  const created = agent.monitors.createMonitor({ body: MONITOR });
  const pendingRow = async () => (await db.pool.query(`SELECT id, status FROM "${db.schema}".approvals`)).rows as { id: string; status: string }[];
  const deadline = Date.now() + 30_000;
  while ((await pendingRow()).length === 0) {
    if (Date.now() > deadline) throw new Error('the call was never held');
    await new Promise((r) => setTimeout(r, 50));
  }
  const approvalId = (await pendingRow())[0]!.id;
  // Replica A is holding the call now (its hold lasts 25 s); it is told to stop.
  const killedAt = Date.now();
  a.child.kill('SIGTERM');
  current = doors[1]!.url;
  t.equal(await a.exited, 0, 'replica A exits cleanly');
  await until(() => lb.answers.length >= 1, 10_000);
  const first = lb.answers[0]!;
  t.ok(Date.now() - killedAt < 15_000, 'the held call was answered at once, not after its hold');
  t.equal(first.status, 503, 'a retryable status the official client retries');
  t.equal(first.retryAfter, '1');
  const body = JSON.parse(first.body) as { error: { code: string; message: string }; approval_id: string; status: string; request_id: string };
  t.equal(body.error.code, 'gate_shutting_down');
  t.match(body.error.message, /Retry the same call/);
  t.equal(body.approval_id, approvalId);
  t.notOk(a.output().includes('check failed unexpectedly'), 'no unexpected failure on the way down');

  // The answer is in the audit: a call row with the code and the approval it waited on.
  const rows = (await db.pool.query(`SELECT request_id, decision, reason_code, approval_id FROM "${db.schema}".calls WHERE reason_code = 'gate_shutting_down'`)).rows as { request_id: string; decision: string; reason_code: string; approval_id: string }[];
  t.equal(rows.length, 1);
  t.match(rows[0], { decision: 'error', approval_id: approvalId });
  const show = await exec(process.execPath, [...KEYWARD_CLI, 'audit', 'show', rows[0]!.request_id, '--config', join(dir, 'b.yaml')], { env: { ...process.env, ...SERVE_ENV } });
  t.match(show.stdout, /gate_shutting_down/, 'audit show has the call row');
  t.equal((await pendingRow())[0]!.status, 'pending', 'the approval stays pending for the other replica');

  // The client retries against replica B (which holds it, or finds it approved); a human approves there.
  // B learns of the vote by LISTEN/NOTIFY or on its next read, so the order of retry and vote is free.
  const token = await issuer.mint({ subject: 'bob', groups: ['sre'] });
  const vote = await fetch(`${b.admin}/api/approvals/${approvalId}/approve`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{"reason":"ok"}' });
  t.equal(vote.status, 200);
  const monitor = await created;
  t.equal(monitor.id, 42, 'the agent got the monitor through replica B');
  t.equal(datadog.received.filter((x) => x.path === '/api/v1/monitor').length, 1, 'created once');
  t.ok(lb.answers.length >= 2 && lb.answers.slice(1).every((x) => x.status !== 503 || !x.body.includes('gate_shutting_down')), 'the retries were answered by replica B, not the stopped one');
  b.child.kill('SIGTERM');
  t.equal(await b.exited, 0);
});
