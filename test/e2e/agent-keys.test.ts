import t from 'tap';
import type { CallEvent, PayloadEvent } from '../../src/audit/events.js';
import { KEYS, baseConfig } from '../helpers/gate.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { datadogAgent, refusal } from './agent.js';

// Keys an agent should never hold: a classic API key, a prefixed app key, a personal and a service access token.
const LEAKED_API = '0123456789abcdef0123456789abcdef';
const OTHER_API = 'fedcba9876543210fedcba9876543210';
const LEAKED_APP = 'ddapp_AbCdEfGhIjKlMnOpQrStUvWxYz012345';
const PAT = 'ddpat_ZyXwVuTsRqPoNmLkJiHgFeDcBa987654';
const SAT = 'ddsat_QwErTyUiOpAsDfGhJkLzXcVbNm123456';
const ALL_LEAKED = [LEAKED_API, OTHER_API, LEAKED_APP, PAT, SAT];

const calls = (s: Stack) => s.tg.audit.events.filter((e): e is CallEvent => e.kind === 'call');
const keyFinding = (row: CallEvent | undefined) => row?.findings?.find((f) => f.type === 'agent_supplied_key');

/** Leaked values found anywhere (what Datadog received, audit rows, log lines, metrics), by prefix: none expected. */
async function nothingLeaked(s: Stack): Promise<string[]> {
  const metrics = await (await fetch(`${s.tg.gate.adminUrl}/metrics`)).text();
  const everything = JSON.stringify(s.datadog.received.map((r) => [r.path, r.headers, r.text])) + JSON.stringify(s.tg.audit.events) + s.tg.logs().join('\n') + metrics;
  return ALL_LEAKED.filter((k) => everything.includes(k)).map((k) => k.slice(0, 6));
}

t.test('e2e: keys an agent sends (header, query, legacy path, body) are stripped and recorded with a keyed fingerprint and a metric', async (t) => {
  const s = await startStack((issuer) => baseConfig([{ issuer }]));
  t.teardown(() => s.stop());
  const leaky = datadogAgent(s.door.url, () => s.bearer('leaky-agent', ['agents']), { authMethods: { apiKeyAuth: LEAKED_API, appKeyAuth: LEAKED_APP }, headers: { 'x-dd-token': PAT }, query: { token: SAT } });
  t.same(await leaky.monitors.listMonitors({}), [], 'the call works with the gate\'s keys');
  const got = s.datadog.received.at(-1)!;
  t.equal(got.headers['dd-api-key'], KEYS.prodApi);
  t.equal(got.headers['dd-application-key'], KEYS.prodApp);
  t.notOk('x-dd-token' in got.headers, 'a header holding a ddpat_ token is stripped');
  t.notOk(got.path.includes('token='), 'a query parameter holding a ddsat_ token is stripped');

  const f = keyFinding(calls(s).at(-1));
  t.equal(f?.count, 4);
  const places = f!.locations.map((l) => l.replace(/ fp=[0-9a-f]{16}$/, ''));
  t.same(places.sort(), ['header:dd-api-key', 'header:dd-application-key', 'header:x-dd-token', 'query:token']);
  const fp = (place: string, row = calls(s).at(-1)) => keyFinding(row)!.locations.find((l) => l.startsWith(place))!.split('fp=')[1];

  // The same key again (as a legacy query parameter this time) has the same fingerprint; another key another.
  const raw = async (path: string, init: RequestInit = {}) =>
    fetch(`${s.door.url}${path}`, { ...init, headers: { authorization: await s.bearer('leaky-agent', ['agents']), 'content-type': 'application/json', ...(init.headers as Record<string, string>) } });
  t.equal((await raw(`/api/v1/validate?api_key=${LEAKED_API}`)).status, 200);
  t.equal(fp('query:api_key'), fp('header:dd-api-key', calls(s).at(-2)), 'one leaked key, one fingerprint: a reviewer can tell which key an agent holds');
  t.equal((await raw(`/v1/input/${OTHER_API}`, { method: 'POST', body: JSON.stringify([{ message: 'hi' }]) })).status, 202);
  t.not(fp('path:/v1/input/<KEY>'), fp('header:dd-api-key', calls(s).at(-3)), 'another key, another fingerprint');
  t.equal((await raw('/api/v2/logs', { method: 'POST', body: JSON.stringify([{ message: 'hi', ddsource: 'agent', api_key: LEAKED_API }]) })).status, 202);
  t.equal(fp('body:api_key'), fp('query:api_key', calls(s).at(-3)));

  const metrics = await (await fetch(`${s.tg.gate.adminUrl}/metrics`)).text();
  t.match(metrics, /keyward_agent_supplied_keys_total\{place="header"\} 3/);
  t.match(metrics, /keyward_agent_supplied_keys_total\{place="query"\} 2/);
  t.match(metrics, /keyward_agent_supplied_keys_total\{place="path"\} 1/);
  t.match(metrics, /keyward_agent_supplied_keys_total\{place="body"\} 1/);
  const clean = datadogAgent(s.door.url, () => s.bearer('clean-agent', ['agents']));
  await clean.monitors.listMonitors({});
  t.same(calls(s).at(-1)!.findings, [], 'an agent without keys leaves no finding');
  t.same(await nothingLeaked(s), [], 'no leaked key appears anywhere');
});

t.test('e2e: policy.agent_keys refuse → an agent that sends a key is refused agent_key_present, nothing forwarded', async (t) => {
  const s = await startStack((issuer) => baseConfig([{ issuer }], { agent_keys: 'refuse' }));
  t.teardown(() => s.stop());
  const leaky = datadogAgent(s.door.url, () => s.bearer('leaky-agent', ['agents']), { authMethods: { apiKeyAuth: LEAKED_API } });
  const r = await refusal(leaky.monitors.listMonitors({}));
  t.equal(r.code, 403);
  t.equal((r.body as { error: { code: string } }).error.code, 'agent_key_present');
  t.equal(s.datadog.received.length, 0);
  const row = calls(s).at(-1)!;
  t.match(row, { subject: 'leaky-agent', decision: 'deny', reason_code: 'agent_key_present' });
  t.equal(keyFinding(row)?.count, 1);
  const clean = datadogAgent(s.door.url, () => s.bearer('clean-agent', ['agents']));
  t.same(await clean.monitors.listMonitors({}), [], 'agents without keys pass');
  t.same(await nothingLeaked(s), [], 'no leaked key appears anywhere');
});

t.test('e2e: Datadog X-RateLimit-* headers reach the agent unchanged; an upstream 429 reaches it and is audited as such', async (t) => {
  const s = await startStack((issuer) => baseConfig([{ issuer }]));
  t.teardown(() => s.stop());
  const get = async () => fetch(`${s.door.url}/api/v1/monitor`, { headers: { authorization: await s.bearer('agent-1', ['agents']) } });
  const ok = await get();
  t.equal(ok.status, 200);
  const limits = (res: Response) => Object.fromEntries(['limit', 'period', 'remaining', 'reset', 'name'].map((h) => [h, res.headers.get(`x-ratelimit-${h}`)]));
  t.same(limits(ok), { limit: '3000', period: '10', remaining: '2999', reset: '7', name: 'monitor_api' });
  s.datadog.rateLimited = true;
  const limited = await get();
  t.equal(limited.status, 429);
  t.same(limits(limited), { limit: '3000', period: '10', remaining: '0', reset: '7', name: 'monitor_api' });
  t.same(await limited.json(), { errors: ['Rate limit exceeded'] });
  const agent = datadogAgent(s.door.url, () => s.bearer('agent-1', ['agents']));
  t.equal((await refusal(agent.monitors.listMonitors({}))).code, 429, 'the official client sees Datadog\'s 429');
  const responses = s.tg.audit.events.filter((e): e is PayloadEvent => e.kind === 'payload' && e.direction === 'response');
  t.equal(responses.at(-1)?.upstream_status, 429, 'the response row records the upstream 429');
  const requestIds = new Set(calls(s).map((c) => c.request_id));
  t.ok(requestIds.has(responses.at(-1)!.request_id), 'joined to its call row');
});
