import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import t from 'tap';
import { pino } from 'pino';
import { stringify } from 'yaml';
import { createBudgetGuard } from '../../../src/budgets/index.js';
import { createRedisStore } from '../../../src/budgets/redis-store.js';
import { budgetsCommand } from '../../../src/cli/budgets.js';
import { parseConfig } from '../../../src/config/load.js';
import { KEYS } from '../../helpers/gate.js';
import { REDIS_URL, testPrefix } from '../../helpers/redis.js';

const env = { DD_API: KEYS.prodApi };
function yamlConfig(prefix: string, redis = true) {
  return stringify({
    connections: [{ name: 'prod', site: 'datadoghq.com', api_key: '${env:DD_API}', groups: ['agents'] }],
    budgets: [{ name: 'calls', match: { groups: ['agents'] }, limits: [{ window: '1h', requests: 10 }] }],
    budget_store: redis ? { redis_url: REDIS_URL, key_prefix: prefix } : {},
  });
}

async function run(args: string[], file: string) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  process.exitCode = 0;
  await budgetsCommand({ stdout, stderr, env }).exitOverride().parseAsync(['node', 'budgets', ...args, '-c', file]);
  const code = process.exitCode;
  process.exitCode = 0;
  return { out, err, code };
}

t.test('cli: budgets status lists who is near or over which limit, most spent first', async (t) => {
  const prefix = testPrefix('cli');
  const dir = mkdtempSync(join(tmpdir(), 'kw-budgets-'));
  const file = join(dir, 'keyward.yaml');
  writeFileSync(file, yamlConfig(prefix));
  const config = parseConfig(yamlConfig(prefix), file, { env });
  const store = createRedisStore({ url: REDIS_URL, timeoutMs: 1000, log: pino({ level: 'silent' }) });
  t.teardown(() => store.close());
  const guard = createBudgetGuard({ store, log: pino({ level: 'silent' }) });
  const caller = (subject: string) => ({ issuer: 'https://id.example', subject, groups: ['agents'], connection: 'prod', operationClass: 'read' });
  for (let i = 0; i < 9; i++) await guard.checkRequest(config, caller('busy-agent'));
  await guard.checkRequest(config, caller('quiet-agent'));

  const text = await run(['status'], file);
  t.equal(text.code, 0);
  const lines = text.out.trim().split('\n');
  t.match(lines[0], /^budget\tidentity\twindow/);
  t.match(lines[1], /^calls\tbusy-agent\t3600s\trequests\t9\t10\t90%\tnear$/);
  t.match(lines[2], /^calls\tquiet-agent\t3600s\trequests\t1\t10\t10%\tok$/);

  const json = await run(['status', '--json', '--min-share', '0.5'], file);
  t.same(json.out.trim().split('\n').map((l) => JSON.parse(l) as unknown), [{ budget: 'calls', identity: 'busy-agent', window: '3600s', quantity: 'requests', used: 9, limit: 10, share: 0.9 }]);
  t.notMatch(json.out + text.out, KEYS.prodApi, 'no key in the output');
});

t.test('cli: budgets without Redis, or with a bad config, says why and exits 2', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'kw-budgets-'));
  const file = join(dir, 'keyward.yaml');
  writeFileSync(file, yamlConfig('x:', false));
  const memory = await run(['status'], file);
  t.equal(memory.code, 2);
  t.match(memory.err, /redis_url is not set/);
  writeFileSync(file, 'budgets:\n  - name: Bad Name\n    limits: []\n');
  const bad = await run(['top'], file);
  t.equal(bad.code, 2);
  t.match(bad.err, /config_invalid .*keyward\.yaml:2:\d+ budgets\[0\]\.name: lower-case/);
  t.match(bad.err, /keyward\.yaml:3:\d+ budgets\[0\]\.limits: a budget needs limits or a series guard/);
});
