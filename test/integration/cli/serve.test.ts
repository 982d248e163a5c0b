import { spawn } from 'node:child_process';
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { stringify } from 'yaml';
import { withTestDatabase } from '../../helpers/db.js';
import { until } from '../../helpers/wait.js';
import { KEYWARD_CLI } from '../../helpers/child.js';
import { freePort } from '../../helpers/ports.js';
import { createServer } from 'node:net';

const exec = promisify(execFile);

t.test('cli: keyward config check — valid file exit 0, errors with path and line exit 2, no secret echoed', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kw-cli-'));
  writeFileSync(join(dir, 'good.yaml'), 'identity:\n  issuers:\n    - { issuer: "https://issuer.example", audiences: [keyward] }\nconnections:\n  - { name: prod, site: datadoghq.com, api_key: "${env:K}", groups: [agents] }\n');
  writeFileSync(join(dir, 'bad.yaml'), 'listen:\n  authz: nowhere\nconnections:\n  - { name: prod, site: datadoghq.org, api_key: "${env:K}", groups: [agents] }\n');
  const env = { ...process.env, K: 'f'.repeat(32) };
  const good = await exec(process.execPath, [...KEYWARD_CLI, 'config', 'check', join(dir, 'good.yaml')], { env });
  t.match(good.stdout, /good\.yaml: valid \(version [0-9a-f]{12}; 1 issuer\(s\), 1 connection\(s\)/);
  const bad = await exec(process.execPath, [...KEYWARD_CLI, 'config', 'check', join(dir, 'bad.yaml')], { env }).catch((e: { code: number; stderr: string }) => e);
  t.equal((bad as { code: number }).code, 2);
  t.match((bad as { stderr: string }).stderr, /bad\.yaml:2:10 listen\.authz: expected host:port/);
  t.match((bad as { stderr: string }).stderr, /bad\.yaml:4:\d+ connections\[0\]\.site/);
  t.notOk((bad as { stderr: string }).stderr.includes('f'.repeat(32)));

  // Inline secrets are accepted but called out, with their line, never echoed.
  const inlineKey = 'a'.repeat(32);
  const hmac = 'inline-hmac-key-0123456789';
  writeFileSync(join(dir, 'inline.yaml'), `identity:\n  issuers:\n    - { issuer: "https://issuer.example", audiences: [keyward] }\nmasking:\n  style: hmac\n  hmac_key: ${hmac}\nconnections:\n  - name: prod\n    site: datadoghq.com\n    api_key: ${inlineKey}\n    groups: [agents]\n`);
  const inline = await exec(process.execPath, [...KEYWARD_CLI, 'config', 'check', join(dir, 'inline.yaml')], { env });
  t.match(inline.stdout, /inline\.yaml: valid/);
  t.match(inline.stderr, /warning [^\n]*inline\.yaml:6:\d+ masking\.hmac_key: a secret written inline/);
  t.match(inline.stderr, /warning [^\n]*inline\.yaml:10:\d+ connections\[0\]\.api_key: a secret written inline/);
  t.notOk(inline.stderr.includes(inlineKey) || inline.stderr.includes(hmac) || inline.stdout.includes(hmac), 'no secret echoed');
  t.equal(good.stderr, '', 'no warning for references');

  // A hold Envoy would not wait out (envoy render sets a 30 s ext_authz timeout).
  writeFileSync(join(dir, 'hold.yaml'), 'identity:\n  issuers:\n    - { issuer: "https://issuer.example", audiences: [keyward] }\nconnections:\n  - { name: prod, site: datadoghq.com, api_key: "${env:K}", groups: [agents] }\npolicy:\n  rules:\n    - { name: c, match: { class: config-change }, action: require_approval, approval: { approvers: [sre], hold: 10m } }\n');
  const hold = await exec(process.execPath, [...KEYWARD_CLI, 'config', 'check', join(dir, 'hold.yaml')], { env });
  t.match(hold.stderr, /warning [^\n]*policy\.rules\[0\]\.approval\.hold: holds 600s, not below the ext_authz timeout/);
});

t.test('cli: keyward serve starts every listener, reports ready, and exits 0 on SIGTERM', async (t) => {
  const db = await withTestDatabase(t);
  const dir = mkdtempSync(join(tmpdir(), 'kw-serve-'));
  const config = join(dir, 'keyward.yaml');
  writeFileSync(
    config,
    stringify({
      listen: { authz: '127.0.0.1:0', proc: '127.0.0.1:0', admin: '127.0.0.1:0' },
      database: { url: db.url, schema: db.schema },
      identity: { issuers: [{ issuer: 'https://issuer.example', audiences: ['keyward'] }] },
      connections: [{ name: 'prod', site: 'datadoghq.com', api_key: '${env:K}', groups: ['agents'] }],
    }),
  );
  const child = spawn(process.execPath, [...KEYWARD_CLI, 'serve', '--config', config], { env: { ...process.env, K: 'e'.repeat(32) }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const started = await new Promise<{ admin: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not started:\n${out}`)), 60_000);
    child.stdout.on('data', () => {
      const line = out.split('\n').find((l) => l.includes('"keyward started"'));
      if (line) {
        clearTimeout(timer);
        resolve(JSON.parse(line) as { admin: string });
      }
    });
  });
  const ready = await fetch(`${started.admin}/readyz`);
  t.equal(ready.status, 200);
  t.match(await ready.json(), { status: 'ready', checks: { database: 'ok' } });
  child.kill('SIGTERM');
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  t.equal(code, 0, 'graceful exit');
  t.match(out, /"keyward stopped"/);
  t.notOk(out.includes('e'.repeat(32)), 'the key never appears in the logs');
});

t.test('cli: with the embedded Postgres, SIGHUP reloads (no exit), CLI exit codes hold, SIGINT stops gracefully', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kw-embedded-serve-'));
  chmodSync(dir, 0o755); // as root, Postgres runs as the postgres user and must reach its folder
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const config = join(dir, 'keyward.yaml');
  const embeddedPort = await freePort();
  const write = (level: string) =>
    writeFileSync(
      config,
      stringify({
        listen: { authz: '127.0.0.1:0', proc: '127.0.0.1:0', admin: '127.0.0.1:0' },
        database: { data_dir: join(dir, 'pg'), embedded_port: embeddedPort },
        logging: { level },
        identity: { issuers: [{ issuer: 'https://issuer.example', audiences: ['keyward'] }] },
        connections: [{ name: 'prod', site: 'datadoghq.com', api_key: '${env:K}', groups: ['agents'] }],
      }),
    );
  write('info');
  const env = { ...process.env, K: 'e'.repeat(32), DATABASE_URL: '' };
  const child = spawn(process.execPath, [...KEYWARD_CLI, 'serve', '--config', config], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  await until(() => out.includes('"keyward started"'), 120_000);
  const admin = (JSON.parse(out.split('\n').find((l) => l.includes('"keyward started"'))!) as { admin: string }).admin;

  child.kill('SIGHUP');
  await until(() => /"reason":"SIGHUP"[^\n]*configuration reloaded|configuration reloaded[^\n]*"reason":"SIGHUP"/.test(out));
  await new Promise((r) => setTimeout(r, 300));
  t.equal(child.exitCode, null, 'still running after SIGHUP');
  t.equal((await fetch(`${admin}/readyz`)).status, 200);

  // A CLI command sharing the running cluster keeps its own exit code.
  const show = await exec(process.execPath, [...KEYWARD_CLI, 'audit', 'show', 'no-such-request', '--config', config], { env }).then(
    () => 0,
    (e: { code: number }) => e.code,
  );
  t.not(show, 0, 'audit show of an unknown request fails');

  child.kill('SIGINT');
  t.equal(await exited, 0, 'graceful exit on SIGINT');
  t.match(out, /"keyward stopped"/);
});

t.test('cli: keyward serve turns a start failure into one line and a non-zero exit: address in use, database refusing', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kw-serve-fail-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const busy = createServer();
  await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => busy.close(() => r())));
  const busyPort = (busy.address() as { port: number }).port;
  const closedPort = await freePort();
  const password = 'not-a-real-password-7f3a';
  const db = await withTestDatabase(t);
  const cases = [
    { name: 'address in use', database: { url: db.url, schema: db.schema }, authz: `127.0.0.1:${busyPort}`, line: new RegExp(`^keyward: cannot start: listen\\.authz 127\\.0\\.0\\.1:${busyPort}: address already in use .*\\(EADDRINUSE\\)$`) },
    { name: 'database refusing', database: { url: `postgres://keyward:${password}@127.0.0.1:${closedPort}/keyward` }, authz: '127.0.0.1:0', line: /^keyward: cannot start: database: connection refused \(ECONNREFUSED\)$/ },
  ];
  for (const c of cases) {
    const config = join(dir, `${c.name.replace(/\W+/g, '-')}.yaml`);
    writeFileSync(
      config,
      stringify({
        listen: { authz: c.authz, proc: '127.0.0.1:0', admin: '127.0.0.1:0' },
        database: c.database,
        identity: { issuers: [{ issuer: 'https://issuer.example', audiences: ['keyward'] }] },
        connections: [{ name: 'prod', site: 'datadoghq.com', api_key: '${env:K}', groups: ['agents'] }],
      }),
    );
    const r = await exec(process.execPath, [...KEYWARD_CLI, 'serve', '--config', config], { env: { ...process.env, K: 'e'.repeat(32) } }).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => e,
    );
    t.equal(r.code, 1, `${c.name}: exit 1`);
    const lines = r.stderr.split('\n').filter(Boolean);
    t.equal(lines.length, 1, `${c.name}: one line on stderr: ${r.stderr}`);
    t.match(lines[0], c.line);
    t.notOk(r.stderr.includes(password) || r.stderr.includes('e'.repeat(32)), `${c.name}: no secret in the line`);
  }
});
