import t from 'tap';
import { KEYS, baseConfig } from '../../helpers/gate.js';
import { startStack } from '../../helpers/stack.js';
import { until } from '../../helpers/wait.js';

const NEW_KEY = 'e1f2a3b4c5d60718293a4b5c6d7e8f90';

t.test('rotation: under concurrent load, the next request after a reload carries the new key; no request fails', async (t) => {
  const s = await startStack((issuer) => baseConfig([{ issuer }]));
  t.teardown(() => s.stop());
  s.datadog.apiKeys.add(NEW_KEY); // Datadog accepts both during the rotation window
  const auth = await s.bearer('agent-1', ['agents']);
  let running = true;
  const statuses: number[] = [];
  const worker = async () => {
    while (running) {
      const res = await fetch(`${s.door.url}/api/v2/series`, { method: 'POST', headers: { authorization: auth, 'content-type': 'application/json' }, body: '{"series":[]}' });
      statuses.push(res.status);
      await res.arrayBuffer();
    }
  };
  const workers = Array.from({ length: 6 }, worker);
  await until(() => statuses.length >= 30);

  const config = baseConfig([{ issuer: s.issuer.issuer }]) as { connections: { api_key: string }[] };
  config.connections[0]!.api_key = NEW_KEY; // written inline only in this test; a real config uses ${env:}/${file:}
  s.tg.writeConfig(config);
  await until(() => s.tg.logs().some((l) => l.includes('configuration reloaded')));
  const afterReload = s.datadog.received.length;
  await until(() => s.datadog.received.length >= afterReload + 30);
  running = false;
  await Promise.all(workers);

  t.ok(statuses.length > 20, `${statuses.length} calls made`);
  t.ok(statuses.every((st) => st === 202), 'no call failed during the rotation');
  const keys = s.datadog.received.map((r) => r.headers['dd-api-key']);
  t.ok(keys.includes(KEYS.prodApi) && keys.includes(NEW_KEY), 'both keys were used');
  const firstNew = keys.indexOf(NEW_KEY);
  t.ok(keys.slice(firstNew).every((k) => k === NEW_KEY) || keys.slice(afterReload + 6).every((k) => k === NEW_KEY), 'once the new key is in use, only in-flight requests still carry the old one');
  t.ok(keys.slice(afterReload + 6).every((k) => k === NEW_KEY), 'every request started after the reload carries the new key');
  const all = s.tg.logs().join('\n');
  t.notOk(all.includes(NEW_KEY) || all.includes(KEYS.prodApi), 'neither key is logged');
});
