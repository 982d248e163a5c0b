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

t.test('cli: approvals show, approve and deny take a unique id prefix; an ambiguous or unknown one is exit 2 naming why', async (t) => {
  const s = await startPgStack(t, (issuer) => approvalConfig(issuer, { hold: '100ms' }));
  // 17 ids over 16 possible first hex digits: at least two share their first character (pigeonhole),
  // so an ambiguous prefix exists whatever the random ids are.
  const ids: string[] = [];
  for (let i = 0; i < 17; i++) ids.push(String((await createDashboard(s, JSON.stringify({ title: `d${i}`, layout_type: 'ordered', widgets: [] }))).json.approval_id));
  const env = { KEYWARD_TOKEN: await s.issuer.mint({ subject: 'bob', groups: ['sre'] }), KEYWARD_ADMIN_URL: s.tg.gate.adminUrl };

  const byFirst = new Map<string, string[]>();
  for (const id of ids) byFirst.set(id[0]!, [...(byFirst.get(id[0]!) ?? []), id]);
  const [shared, twins] = [...byFirst].find(([, v]) => v.length > 1)!;
  const ambiguous = await keyward(['approvals', 'approve', shared], env);
  t.equal(ambiguous.code, 2);
  t.match(ambiguous.stderr, new RegExp(`^error ambiguous id prefix ${shared}: ${twins.length} approvals match \\(.*\\); give more characters\\n$`));
  for (const id of twins) t.ok(ambiguous.stderr.includes(id), `the candidate ${id} is listed`);

  // The shortest prefix unique among the 17.
  const uniquePrefix = (id: string) => {
    for (let n = 1; n <= id.length; n++) if (ids.filter((x) => x.startsWith(id.slice(0, n))).length === 1) return id.slice(0, n);
    return id;
  };
  const [a, b] = twins as [string, string];
  const show = await keyward(['approvals', 'show', uniquePrefix(a), '--json'], env);
  t.equal(show.code, 0, show.stderr);
  t.equal(JSON.parse(show.stdout).id, a, 'show resolves the prefix to the one approval');

  const approved = await keyward(['approvals', 'approve', uniquePrefix(a).toUpperCase(), '--reason', 'ok'], env);
  t.equal(approved.code, 0, approved.stderr);
  t.match(approved.stdout, new RegExp(`^approved: ${a}  approved`));
  const denied = await keyward(['approvals', 'deny', uniquePrefix(b), '--reason', 'no'], env);
  t.equal(denied.code, 0, denied.stderr);
  t.match(denied.stdout, new RegExp(`^denied: ${b}  denied`));

  // Decided, it is no longer among the pending ones approve/deny resolve against; show still finds it.
  const again = await keyward(['approvals', 'approve', uniquePrefix(b)], env);
  t.equal(again.code, 2);
  t.match(again.stderr, /^error approval_not_found: no pending approval you may decide has an id starting with /);
  const shown = await keyward(['approvals', 'show', uniquePrefix(b)], env);
  t.equal(shown.code, 0, shown.stderr);
  t.match(shown.stdout, /denied: no/);

  const junk = await keyward(['approvals', 'show', 'not-an-id'], env);
  t.equal(junk.code, 2);
  t.match(junk.stderr, /^error approval_not_found: "not-an-id" is not an approval id or id prefix\n$/);

  // Someone outside the approver groups sees no approvals, so no prefix resolves for them.
  const stranger = await keyward(['approvals', 'show', uniquePrefix(ids[2]!)], { ...env, KEYWARD_TOKEN: await s.issuer.mint({ subject: 'eve', groups: ['dev'] }) });
  t.equal(stranger.code, 2);
  t.match(stranger.stderr, /^error approval_not_found: no approval you may decide has an id starting with /);
  t.notMatch(stranger.stderr, new RegExp(ids[2]!), 'the id is not revealed to someone who may not decide it');

  // A full id still goes straight to the API.
  const full = await keyward(['approvals', 'show', ids[3]!, '--json'], env);
  t.equal(JSON.parse(full.stdout).id, ids[3]);
});
