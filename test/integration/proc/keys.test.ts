import t from 'tap';
import { KEYS, baseConfig } from '../../helpers/gate.js';
import { startStack, type Stack } from '../../helpers/stack.js';

let s: Stack;
t.before(async () => {
  s = await startStack((issuer) => baseConfig([{ issuer }]));
});
t.teardown(() => s.stop());

const last = () => s.datadog.received.at(-1)!;

t.test('proc: the connection key is injected; an agent-supplied key in a header never reaches Datadog', async (t) => {
  const res = await fetch(`${s.door.url}/api/v2/series`, {
    method: 'POST',
    headers: { authorization: await s.bearer('agent-1', ['agents']), 'content-type': 'application/json', 'DD-API-KEY': KEYS.euApi, 'Dd-Application-Key': KEYS.euApp },
    body: JSON.stringify({ series: [{ metric: 'a.b', points: [{ timestamp: 1700000000, value: 1 }] }] }),
  });
  t.equal(res.status, 202);
  t.same(await res.json(), { errors: [] });
  t.equal(last().headers['dd-api-key'], KEYS.prodApi);
  t.equal(last().headers['dd-application-key'], undefined, 'series is an API-key-only endpoint');
  t.equal(last().headers.authorization, undefined, 'the agent token is not forwarded');
  t.equal(last().host, 'api.datadoghq.com');
  t.match(res.headers.get('x-keyward-request-id'), /^[0-9a-f-]{36}$/);
});

t.test('proc: keys in the query and in the legacy /v1/input/<KEY> path are stripped', async (t) => {
  const auth = await s.bearer('agent-1', ['agents']);
  let res = await fetch(`${s.door.url}/api/v1/series?api_key=${KEYS.euApi}&application_key=${KEYS.euApp}`, { method: 'POST', headers: { authorization: auth, 'content-type': 'application/json' }, body: '{"series":[]}' });
  t.equal(res.status, 202);
  t.equal(last().path, '/api/v1/series');
  t.equal(last().headers['dd-api-key'], KEYS.prodApi);
  res = await fetch(`${s.door.url}/v1/input/${KEYS.euApi}?ddsource=agent`, { method: 'POST', headers: { authorization: auth, 'content-type': 'text/plain' }, body: 'hello' });
  t.equal(res.status, 202);
  t.equal(last().path, '/v1/input?ddsource=agent');
  t.equal(last().host, 'http-intake.logs.datadoghq.com');
});

t.test('proc: both keys for endpoints that need the application key', async (t) => {
  const res = await fetch(`${s.door.url}/api/v1/monitor`, { headers: { authorization: await s.bearer('agent-1', ['agents']) } });
  t.equal(res.status, 200);
  t.equal(last().headers['dd-api-key'], KEYS.prodApi);
  t.equal(last().headers['dd-application-key'], KEYS.prodApp);
});

