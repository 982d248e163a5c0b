import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import t from 'tap';
import { approvalConfig, createDashboard } from '../../helpers/approvals.js';
import { startPgStack } from '../../helpers/pg-stack.js';
import { KEYWARD_CLI } from '../../helpers/child.js';

const exec = promisify(execFile);
const keyward = (args: string[], env: Record<string, string> = {}) =>
  exec(process.execPath, [...KEYWARD_CLI, ...args], { env: { ...process.env, ...env } }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );

t.test('cli: keyward approvals list, show, approve and deny against the admin API', async (t) => {
  const s = await startPgStack(t, (issuer) => approvalConfig(issuer, { hold: '200ms' }));
  const first = await createDashboard(s);
  const id = String(first.json.approval_id);
  const env = { KEYWARD_TOKEN: await s.issuer.mint({ subject: 'bob', groups: ['sre'] }), KEYWARD_ADMIN_URL: s.tg.gate.adminUrl };

  const list = await keyward(['approvals', 'list'], env);
  t.equal(list.code, 0);
  t.match(list.stdout, new RegExp(`${id}\\s+pending\\s+0/1\\s+agent-1\\s+POST /api/v1/dashboard`));
  const show = await keyward(['approvals', 'show', id, '--json'], env);
  t.match(JSON.parse(show.stdout), { id, status: 'pending', masked_body: /agent dashboard/ });

  const selfish = await keyward(['approvals', 'approve', id], { ...env, KEYWARD_TOKEN: await s.issuer.mint({ subject: 'agent-1', groups: ['sre'] }) });
  t.equal(selfish.code, 2);
  t.match(selfish.stderr, /error approval_self: Self-approval is not allowed/);

  const ok = await keyward(['approvals', 'approve', id, '--reason', 'reviewed'], env);
  t.equal(ok.code, 0);
  t.match(ok.stdout, /approved: .* approved /);
  t.equal((await createDashboard(s)).status, 200);

  const other = String((await createDashboard(s, '{"title":"x"}')).json.approval_id);
  const noReason = await keyward(['approvals', 'deny', other], env);
  t.match(noReason.stderr, /error request_invalid: deny needs --reason <text>/, 'says what is missing');
  t.equal(noReason.code, 2);
  const denied = await keyward(['approvals', 'deny', other, '--reason', 'no'], env);
  t.equal(denied.code, 0);

  const noToken = await keyward(['approvals', 'list', '--url', s.tg.gate.adminUrl], { KEYWARD_TOKEN: '' });
  t.match(noToken.stderr, /no approver token/);
  const help = await keyward(['approvals', '--help']);
  t.match(help.stdout, /keyward approvals approve/);
});
