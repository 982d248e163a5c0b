import { execFile, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { until } from '../../helpers/wait.js';
import { KEYWARD_CLI } from '../../helpers/child.js';

const exec = promisify(execFile);

// `npm start` is `keyward demo`: a newcomer runs it, then the lines it prints. This runs the printed
// curl commands as printed (bash + curl), then the printed audit command from another folder.
t.test('demo: npm start prints lines that work as printed; the audit command works from anywhere; Ctrl-C stops it', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kw-demo-'));
  chmodSync(dir, 0o755); // as root, the embedded Postgres runs as the postgres user and must reach its folder
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const env = { ...process.env, DATABASE_URL: '' }; // the demo's own embedded Postgres
  const child = spawn(process.execPath, [...KEYWARD_CLI, 'demo', '--dir', join(dir, 'kw'), '--listen', '127.0.0.1:0'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
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
  const curls = [...out.matchAll(/^ {2}(curl [^\n]*?)( \\\n {4}([^\n]*))?$/gm)].map((m) => (m[3] ? `${m[1]} ${m[3]}` : m[1]!));
  t.equal(curls.length, 3, 'three curl lines printed');
  const statusOf = async (line: string) => {
    const { stdout } = await exec('bash', ['-c', `${line} -o /dev/null -w '%{http_code}'`.replace('curl -si', 'curl -s')], { env: { ...env, TOKEN: token } });
    return Number(stdout);
  };
  t.equal(await statusOf(curls[0]!), 202, 'the metric is accepted');
  t.equal(await statusOf(curls[1]!), 202, 'the log is accepted');
  t.equal(await statusOf(curls[2]!), 403, 'the monitor deletion is denied');

  const auditLine = /^ {2}npx (keyward audit search [^\n]*)$/m.exec(out)![1]!;
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
