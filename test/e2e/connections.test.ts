import t from 'tap';
import type { CallEvent } from '../../src/audit/events.js';
import { KEYS, baseConfig } from '../helpers/gate.js';
import { startStack } from '../helpers/stack.js';
import { datadogAgent, seriesPayload, until } from './agent.js';

// Two connections (prod on datadoghq.com, eu on datadoghq.eu) for two agent groups, and a key rotated
// in the configuration while the client keeps sending.

const NEW_KEY = 'f1e2d3c4b5a60718293a4b5c6d7e8f90';

t.test('e2e: two agent groups reach two connections on two sites, each with its own keys', async (t) => {
  const s = await startStack((issuer) => baseConfig([{ issuer }]));
  t.teardown(() => s.stop());
  const us = datadogAgent(s.door.url, () => s.bearer('agent-us', ['agents']));
  const eu = datadogAgent(s.door.url, () => s.bearer('agent-eu', ['eu-agents']));

  await us.metrics.submitMetrics({ body: seriesPayload('e2e.us') });
  await eu.metrics.submitMetrics({ body: seriesPayload('e2e.eu') });
  await eu.logs.submitLog({ body: [{ message: 'hello from eu', service: 'web' }] });
  t.same(await eu.monitors.listMonitors({}), []);

  const [usSeries, euSeries, euLogs, euMonitors] = s.datadog.received;
  t.match(usSeries, { host: 'api.datadoghq.com', headers: { 'dd-api-key': KEYS.prodApi } });
  t.match(euSeries, { host: 'api.datadoghq.eu', headers: { 'dd-api-key': KEYS.euApi } });
  t.match(euLogs, { host: 'http-intake.logs.datadoghq.eu', headers: { 'dd-api-key': KEYS.euApi } });
  t.match(euMonitors, { host: 'api.datadoghq.eu', headers: { 'dd-api-key': KEYS.euApi, 'dd-application-key': KEYS.euApp } });
  t.ok(s.datadog.received.every((r) => r.status < 300), 'Datadog accepted every key it got');

  const rows = s.tg.audit.events.filter((e): e is CallEvent => e.kind === 'call');
  t.same(
    rows.map((r) => [r.subject, r.connection, r.decision]),
    [
      ['agent-us', 'prod', 'allow'],
      ['agent-eu', 'eu', 'allow'],
      ['agent-eu', 'eu', 'allow'],
      ['agent-eu', 'eu', 'allow'],
    ],
  );
});

t.test('e2e: a group with no connection is refused before anything is forwarded', async (t) => {
  const s = await startStack((issuer) => baseConfig([{ issuer }]));
  t.teardown(() => s.stop());
  const stranger = datadogAgent(s.door.url, () => s.bearer('agent-x', ['marketing']));
  await t.rejects(stranger.metrics.submitMetrics({ body: seriesPayload('e2e.x') }), { code: 403 });
  t.equal(s.datadog.received.length, 0);
  t.match(s.tg.audit.events.at(-1), { kind: 'call', subject: 'agent-x', decision: 'deny' });
});

t.test('e2e: key rotation while the client streams calls — none fails, later calls carry the new key', async (t) => {
  const s = await startStack((issuer) => baseConfig([{ issuer }]));
  t.teardown(() => s.stop());
  s.datadog.apiKeys.add(NEW_KEY); // Datadog accepts both keys during the rotation window
  const agent = datadogAgent(s.door.url, () => s.bearer('agent-1', ['agents']));
  let running = true;
  let ok = 0;
  const failures: unknown[] = [];
  const worker = async () => {
    while (running) {
      try {
        await agent.metrics.submitMetrics({ body: seriesPayload('e2e.rotation') });
        ok++;
      } catch (e) {
        failures.push(e);
      }
    }
  };
  const workers = Array.from({ length: 4 }, worker);
  await until(() => ok >= 20);

  const config = baseConfig([{ issuer: s.issuer.issuer }]) as { connections: { api_key: string }[] };
  config.connections[0]!.api_key = NEW_KEY; // inline only in this test; a real config uses ${env:}/${file:}
  s.tg.writeConfig(config);
  await until(() => s.tg.logs().some((l) => l.includes('configuration reloaded')));
  const afterReload = s.datadog.received.length;
  await until(() => s.datadog.received.length >= afterReload + 20);
  running = false;
  await Promise.all(workers);

  t.same(failures, [], 'no call failed during the rotation');
  const keys = s.datadog.received.map((r) => r.headers['dd-api-key']);
  t.ok(keys.includes(KEYS.prodApi) && keys.includes(NEW_KEY), 'both keys were used');
  t.ok(keys.slice(afterReload + 4).every((k) => k === NEW_KEY), 'every call started after the reload carries the new key');
  const allowed = s.tg.audit.events.filter((e) => e.kind === 'call' && e.decision === 'allow');
  t.equal(allowed.length, s.datadog.received.length, 'one audit row per forwarded call');
  t.ok(new Set(allowed.map((e) => (e as CallEvent).config_version)).size >= 2, 'rows name the config version they ran under');
  const logs = s.tg.logs().join('\n');
  t.notOk(logs.includes(NEW_KEY) || logs.includes(KEYS.prodApi), 'neither key is logged');
});
