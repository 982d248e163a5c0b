import t from 'tap';
import { KEYS, baseConfig } from '../../helpers/gate.js';
import { startStack } from '../../helpers/stack.js';

const value = (text: string, series: RegExp) => {
  const line = text.split('\n').find((l) => series.test(l));
  return line === undefined ? undefined : Number(line.split(' ').pop());
};

t.test('telemetry: a real scrape of the gate shows decisions, phases, findings, JWKS fetches and reloads moving; no key in it', async (t) => {
  const s = await startStack((issuer) => baseConfig([{ issuer }]));
  t.teardown(() => s.stop());
  const scrape = async () => (await fetch(`${s.tg.gate.adminUrl}/metrics`)).text();
  const auth = await s.bearer('agent-1', ['agents']);
  const send = (body: string) => fetch(`${s.door.url}/api/v2/logs`, { method: 'POST', headers: { authorization: auth, 'content-type': 'application/json' }, body }).then((r) => r.arrayBuffer());

  await send('[{"message":"key AKIAIOSFODNN7EXAMPLE"}]');
  const first = await scrape();
  const allowed = /^keyward_decisions_total\{.*class="telemetry-write".*decision="allow".*rule="telemetry".*\}/;
  t.equal(value(first, allowed), 1);
  t.ok((value(first, /^keyward_proc_phase_duration_seconds_count\{phase="request_body"\}/) ?? 0) >= 1);
  t.ok((value(first, /^keyward_mask_findings_total\{.*direction="request".*\}/) ?? 0) >= 1);
  t.equal(value(first, /^keyward_jwks_fetches_total\{outcome="ok"\}/), 1);

  await send('[{"message":"again AKIAIOSFODNN7EXAMPLE"}]');
  await fetch(`${s.door.url}/api/v1/monitor/1`, { method: 'DELETE', headers: { authorization: auth } }).then((r) => r.arrayBuffer());
  s.tg.writeConfig(baseConfig([{ issuer: s.issuer.issuer, clock_skew: '10s' }]));
  const end = Date.now() + 5000;
  let second = await scrape();
  while (value(second, /^keyward_config_reloads_total\{outcome="ok"\}/) === undefined && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 50));
    second = await scrape();
  }
  t.equal(value(second, allowed), 2, 'the decision counter moved');
  t.equal(value(second, /^keyward_decisions_total\{.*decision="deny".*code="policy_denied".*\}/), 1);
  t.equal(value(second, /^keyward_config_reloads_total\{outcome="ok"\}/), 1);
  t.equal(value(second, /^keyward_jwks_fetches_total\{outcome="ok"\}/), 1, 'the key set stayed cached');
  for (const key of Object.values(KEYS)) t.notOk(second.includes(key));
  t.notOk(second.includes('agent-1'), 'no subject as a metric label');
});
