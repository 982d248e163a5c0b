import t from 'tap';
import { CLUSTER_HEADER } from '../../../src/envoy/contract.js';
import { startFrontDoor } from '../../../dev/front-door.js';
import { extAuthzDefaults, extProcDefaults } from '../../../dev/options.js';
import { KEYS, baseConfig } from '../../helpers/gate.js';
import { fakeClusters, startStack, type Stack } from '../../helpers/stack.js';

let s: Stack;
t.before(async () => {
  s = await startStack((issuer) =>
    baseConfig([{ issuer }], {
      rules: [
        { name: 'reads', match: { class: 'read' }, action: 'allow' },
        { name: 'key-admin', match: { class: 'credential-admin', groups: ['sre'], method: 'GET' }, action: 'allow' },
      ],
    }),
  );
});
t.teardown(() => s.stop());

t.test('responses: a key Datadog returns (GET api key) is masked before the agent sees it', async (t) => {
  const res = await fetch(`${s.door.url}/api/v2/api_keys/k1`, { headers: { authorization: await s.bearer('sre-bot', ['sre']), 'x-keyward-connection': 'prod' } });
  t.equal(res.status, 200);
  const text = await res.text();
  t.notOk(text.includes(KEYS.prodApi), 'the key is not in the response');
  t.match(text, /\[REDACTED:/);
  t.equal(Number(res.headers.get('content-length')), Buffer.byteLength(text));
  const id = res.headers.get('x-keyward-request-id');
  const row = s.tg.audit.events.find((e) => e.kind === 'payload' && e.request_id === id && e.direction === 'response');
  t.match(row, { upstream_status: 200 });
  t.notOk(JSON.stringify(row).includes(KEYS.prodApi));
});

t.test('responses: secrets in log search results are masked', async (t) => {
  s.datadog.logSearchResponse = { data: [{ id: 'l1', attributes: { message: 'conn postgres://app:Sup3rS3cret!@db.internal:5432/prod failed' } }] };
  const res = await fetch(`${s.door.url}/api/v2/logs/events/search`, {
    method: 'POST',
    headers: { authorization: await s.bearer('agent-1', ['agents']), 'content-type': 'application/json' },
    body: JSON.stringify({ filter: { query: 'service:web' } }),
  });
  t.equal(res.status, 200);
  const text = await res.text();
  t.notOk(text.includes('Sup3rS3cret!'));
  t.ok(text.includes('db.internal'), 'the host name survives');
});

t.test('proc: a mis-wired Envoy (no ext_authz metadata forwarded) fails closed with 403 context_missing', async (t) => {
  const door = await startFrontDoor({
    listen: '127.0.0.1:0',
    extAuthz: { ...extAuthzDefaults(s.tg.gate.authzAddress), tls: s.tg.tls!, timeoutMs: 5000 },
    extProc: { ...extProcDefaults(s.tg.gate.procAddress), tls: s.tg.tls!, messageTimeoutMs: 5000, allowModeOverride: true, forwardingNamespaces: [] },
    clusters: fakeClusters(s.datadog.url),
    clusterHeader: CLUSTER_HEADER,
  });
  t.teardown(() => door.close());
  const before = s.datadog.received.length;
  const res = await fetch(`${door.url}/api/v1/monitor`, { headers: { authorization: await s.bearer('agent-1', ['agents']) } });
  t.equal(res.status, 403);
  t.equal(((await res.json()) as { error: { code: string } }).error.code, 'context_missing');
  t.equal(s.datadog.received.length, before);
});
