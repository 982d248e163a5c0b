import { execFile, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { until } from '../../helpers/wait.js';
import { CHILD_NODE_ARGS, KEYWARD_CLI } from '../../helpers/child.js';

const exec = promisify(execFile);

// `npm start` runs dev/demo.ts (a development tool beside the product): a newcomer runs it, then the lines it prints. This runs the printed
// curl commands as printed (bash + curl), then the printed audit command from another folder.
t.test('demo: npm start prints lines that work as printed; the audit command works from anywhere; Ctrl-C stops it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kw-demo-'));
  chmodSync(dir, 0o755); // as root, the embedded Postgres runs as the postgres user and must reach its folder
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const env = { ...process.env, DATABASE_URL: '' }; // the demo's own embedded Postgres
  const child = spawn(process.execPath, [...CHILD_NODE_ARGS, resolve('dev/demo.ts'), '--dir', join(dir, 'kw'), '--listen', '127.0.0.1:0'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((r) => child.on('exit', r));
  // On a failure, stop it as a user would (its embedded Postgres with it), and only then force it.
  t.teardown(async () => {
    if (child.exitCode !== null) return;
    child.kill('SIGINT');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  await until(() => out.includes('Ctrl-C stops everything.'), 120_000);

  const token = /export TOKEN=(\S+)/.exec(out)![1]!;
  const printed = [...out.matchAll(/^ {2}(curl [^\n]*?)( \\\n {4}([^\n]*))?$/gm)].map((m) => (m[3] ? `${m[1]} ${m[3]}` : m[1]!));
  const curls = printed.filter((l) => l.includes('$TOKEN'));
  t.equal(curls.length, 3, 'three agent curl lines printed');
  const statusOf = async (line: string) => {
    const { stdout } = await exec('bash', ['-c', `${line} -o /dev/null -w '%{http_code}'`.replace('curl -si', 'curl -s')], { env: { ...env, TOKEN: token } });
    return Number(stdout);
  };
  t.equal(await statusOf(curls[0]!), 202, 'the metric is accepted');
  t.equal(await statusOf(curls[1]!), 202, 'the log is accepted');
  t.equal(await statusOf(curls[2]!), 403, 'the monitor deletion is denied');

  // The approvals page, and the printed approver token line gives a token the approvals API accepts.
  const page = /^ {2}(http:\/\/\S+\/approvals)$/m.exec(out)![1]!;
  t.equal((await fetch(page)).status, 200, 'the approvals page is where the banner says');
  const tokenLine = printed.find((l) => l.includes('/token?'))!;
  t.match(tokenLine, /groups=sre\b/, 'the approver group is the one the demo policy names');
  const approver = JSON.parse((await exec('bash', ['-c', tokenLine], { env })).stdout).access_token as string;
  const list = await fetch(page.replace(/\/approvals$/, '/api/approvals'), { headers: { authorization: `Bearer ${approver}` } });
  t.equal(list.status, 200, 'the approver token is accepted by the approvals API');

  // The printed psql line opens the embedded database with the audit tables on the search path.
  const psql = /^ {2}(psql [^\n]*)$/m.exec(out)![1]!;
  const rows = await exec('bash', ['-c', `${psql} -At -c 'select count(*) from calls'`], { env });
  t.ok(Number(rows.stdout.trim()) >= 3, `psql as printed reads the audit rows (${rows.stdout.trim()})`);

  // The printed PID is the gate's: kill -HUP reloads the config and the demo keeps running.
  const hup = /^ {2}(kill -HUP (\d+))$/m.exec(out)!;
  t.equal(Number(hup[2]), child.pid, 'the PID printed is the gate process');
  await exec('bash', ['-c', hup[1]!]);
  await until(() => /"reason":"SIGHUP"[^\n]*"configuration reloaded"|"configuration reloaded"[^\n]*"reason":"SIGHUP"/.test(out), 30_000);
  t.equal(child.exitCode, null, 'still running after the reload');

  const auditLine = /^ {2}(keyward audit search [^\n]*)$/m.exec(out)![1]!;
  t.notMatch(out, /npx keyward/, 'nothing suggests npx keyward, which outside the checkout asks the registry');
  const args = auditLine.split(' ').slice(1);
  const search = await exec(process.execPath, [...KEYWARD_CLI, ...args], { cwd: tmpdir(), env });
  t.match(search.stdout, /\/api\/v2\/series/, 'run from another folder, it finds the demo database');
  t.match(search.stdout, /policy_denied/);
  t.notOk(search.stdout.includes('AKIAIOSFODNN7EXAMPLE'));
  t.notOk(readFileSync(join(dir, 'kw', 'demo.yaml'), 'utf8').includes(readFileSync(join(dir, 'kw', 'demo-secrets', 'api_key'), 'utf8').trim()), 'the key is referenced, not inline');

  child.kill('SIGINT');
  t.equal(await exited, 0, 'Ctrl-C stops it cleanly');
  t.match(out, /"keyward stopped"/);
});
