import { writeFileSync } from 'node:fs';
import t from 'tap';
import { until } from '../../helpers/wait.js';
import { startDevIssuer } from '../../../dev/dev-issuer.js';
import { fromStruct } from '../../../src/envoy/struct.js';
import { startTestGate } from '../../helpers/gate.js';

const configFor = (issuer: string, generation: string) => ({
  identity: { issuers: [{ issuer, audiences: ['keyward'] }] },
  connections: [{ name: `conn-${generation}`, site: 'datadoghq.com', api_key: '${env:DD_PROD_API}', groups: ['agents'] }],
  policy: { rules: [{ name: `rule-${generation}`, match: { class: 'read' }, action: 'allow' }] },
});

t.test('config reload: concurrent calls see the old or the new config, never a mix; a bad file is refused', async (t) => {
  const issuer = await startDevIssuer();
  const tg = await startTestGate(configFor(issuer.issuer, 'a'));
  t.teardown(async () => {
    await tg.stop();
    await issuer.close();
  });
  const headers = { authorization: `Bearer ${await issuer.mint({ subject: 'agent', groups: ['agents'] })}` };
  const seen = new Map<string, number>();
  let running = true;
  const worker = async () => {
    while (running) {
      const res = await tg.check({ method: 'GET', path: '/api/v1/monitor', headers });
      t.equal(res.status?.code, 0, 'every call during reloads is decided');
      const ctx = fromStruct(res.dynamic_metadata).keyward as { connection: string; rule: string; config_version: string };
      const pair = `${ctx.connection}/${ctx.rule}`;
      seen.set(pair, (seen.get(pair) ?? 0) + 1);
    }
  };
  const workers = Array.from({ length: 8 }, worker);

  await until(() => seen.size > 0);
  tg.writeConfig(configFor(issuer.issuer, 'b')); // picked up by the file watcher
  await until(() => tg.logs().some((l) => l.includes('configuration reloaded')));
  await new Promise((r) => setTimeout(r, 150));

  // An invalid file: refused with a log line, generation b keeps serving.
  writeFileSync(tg.configPath, 'connections:\n  - name: BAD NAME\n    site: mars\n');
  process.kill(process.pid, 'SIGHUP');
  await until(() => tg.logs().some((l) => l.includes('configuration refused')));
  await new Promise((r) => setTimeout(r, 150));
  running = false;
  await Promise.all(workers);

  t.same([...seen.keys()].sort(), ['conn-a/rule-a', 'conn-b/rule-b'], 'only whole generations were ever seen');
  const refused = tg.logs().find((l) => l.includes('configuration refused'))!;
  t.match(JSON.parse(refused), { level: 'error', code: 'config_invalid', issues: [/connections\[0\]\.name \(line 2\)/, /connections\[0\]\.site \(line 3\)/] });
  const after = await tg.check({ method: 'GET', path: '/api/v1/monitor', headers });
  t.match(fromStruct(after.dynamic_metadata).keyward, { connection: 'conn-b', rule: 'rule-b' }, 'the last good config still serves');
});
