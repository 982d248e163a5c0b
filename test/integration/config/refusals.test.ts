import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { parse } from 'yaml';
import { ConfigError } from '../../../src/config/load.js';
import { startGate } from '../../../src/gate.js';
import { BAD_CONFIGS, GOOD_CONFIG } from '../../helpers/bad-configs.js';
import { KEYWARD_CLI } from '../../helpers/child.js';
import { KEYS, startTestGate } from '../../helpers/gate.js';
import { createMemoryAudit } from '../../helpers/memory-audit.js';

const exec = promisify(execFile);
const env = { ...process.env, DD_PROD_API: KEYS.prodApi };
const where = (line: number | undefined) => (line === undefined ? '' : `:${line}:`);

t.test('config check: every bad config is refused (exit 2) with its YAML path and line, a good one accepted', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kw-refusals-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const run = async (name: string, text: string) => {
    const file = join(dir, `${name.replace(/\W+/g, '-')}.yaml`);
    writeFileSync(file, text);
    return exec(process.execPath, [...KEYWARD_CLI, 'config', 'check', file], { env }).then(
      (r) => ({ code: 0, ...r, file }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr, file }),
    );
  };
  const good = await run('good', GOOD_CONFIG);
  t.equal(good.code, 0, good.stderr);
  const results = await Promise.all(BAD_CONFIGS.map((b) => run(b.name, b.text)));
  BAD_CONFIGS.forEach((bad, i) => {
    const r = results[i]!;
    t.equal(r.code, 2, `${bad.name}: exit 2`);
    const line = r.stderr.split('\n').find((l) => l.includes(`${r.file}${where(bad.line)}`) && l.includes(` ${bad.path || '(root)'}: `));
    t.ok(line, `${bad.name}: names ${bad.path || 'the file'}${bad.line ? ` at line ${bad.line}` : ''}\n${r.stderr}`);
    t.match(line ?? '', bad.message);
    t.notMatch(r.stderr, /\n\s+at /, 'no stack trace');
    t.notOk(r.stderr.includes(KEYS.prodApi), 'no key echoed');
  });
});

t.test('start: every bad config fails startGate with a ConfigError naming path and line, before anything listens', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kw-refusals-start-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  for (const bad of BAD_CONFIGS) {
    const configPath = join(dir, 'keyward.yaml');
    writeFileSync(configPath, bad.text);
    const error = await startGate({ configPath, audit: createMemoryAudit(), env, listen: { authz: '127.0.0.1:0', proc: '127.0.0.1:0', admin: '127.0.0.1:0' } }).then(
      async (g) => {
        await g.stop();
        return null;
      },
      (e: unknown) => e,
    );
    t.ok(error instanceof ConfigError, `${bad.name}: a ConfigError`);
    const issue = (error as ConfigError).issues.find((i) => i.path === bad.path);
    t.ok(issue, `${bad.name}: names ${bad.path || 'the file'}`);
    t.equal(issue?.line, bad.line, `${bad.name}: line ${String(bad.line)}`);
    t.match(issue?.message, bad.message);
  }
});

t.test('reload: every bad config is refused with its path and line; the old config keeps serving', async (t) => {
  const tg = await startTestGate(parse(GOOD_CONFIG) as Record<string, unknown>);
  t.teardown(() => tg.stop());
  const before = tg.gate.config.current().config.version;
  for (const bad of BAD_CONFIGS) {
    const logged = tg.logs().length;
    writeFileSync(tg.configPath, bad.text);
    t.equal(tg.gate.config.reload('test'), false, `${bad.name}: refused`);
    const refusal = tg.logs().slice(logged).map((l) => JSON.parse(l) as { msg: string; code?: string; issues?: string[]; config_version?: string }).find((l) => l.msg.includes('configuration refused'));
    t.match(refusal, { code: 'config_invalid', config_version: before }, `${bad.name}: logged as config_invalid`);
    const issue = refusal?.issues?.find((i) => i.startsWith(`${bad.path || '(root)'}${bad.line ? ` (line ${bad.line})` : ''}: `));
    t.ok(issue, `${bad.name}: the log names ${bad.path || 'the file'}${bad.line ? ` (line ${bad.line})` : ''}: ${JSON.stringify(refusal?.issues)}`);
    t.match(issue ?? '', bad.message);
    t.equal(tg.gate.config.current().config.version, before, `${bad.name}: the previous config is still in force`);
  }
  // Still answering with the old config: an unauthenticated call is refused by identity, not by a broken config.
  const res = await tg.check({ method: 'GET', path: '/api/v1/monitor' });
  t.equal(res.status?.code, 16, 'decided (401 token_missing), not an internal error');
  t.notOk(tg.logs().some((l) => l.includes('unexpected error')), 'no reload ended as an unexpected error');
});
