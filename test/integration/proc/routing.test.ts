import t from 'tap';
import { DATADOG_SITES } from '../../../src/config/sites.js';
import { KEYS } from '../../helpers/gate.js';
import { startStack, type Stack } from '../../helpers/stack.js';

// One connection per Datadog site, all usable by the "agents" group and chosen by header.
const config = (issuer: string) => ({
  identity: { issuers: [{ issuer, audiences: ['keyward'] }] },
  connections: DATADOG_SITES.map((site, i) => ({ name: `c${i}`, site, api_key: '${env:DD_PROD_API}', app_key: '${env:DD_PROD_APP}', groups: ['agents'] })),
  policy: { rules: [{ match: { class: ['telemetry-write', 'read'] }, action: 'allow' }] },
});

let s: Stack;
t.before(async () => {
  s = await startStack(config);
});
t.teardown(() => s.stop());

const calls: [string, string, string][] = [
  ['POST', '/api/v2/series', 'api'],
  ['POST', '/api/v2/logs', 'http-intake.logs'],
  ['POST', '/api/v2/events', 'event-management-intake'],
  ['GET', '/api/v1/validate', 'api'],
];

for (const [i, site] of DATADOG_SITES.entries()) {
  t.test(`routing: ${site} → api, logs intake and event intake hosts`, async (t) => {
    const auth = await s.bearer('agent-1', ['agents']);
    for (const [method, path, prefix] of calls) {
      const res = await fetch(`${s.door.url}${path}`, {
        method,
        headers: { authorization: auth, 'x-keyward-connection': `c${i}`, ...(method === 'POST' ? { 'content-type': 'application/json' } : {}) },
        ...(method === 'POST' ? { body: '{}' } : {}),
      });
      t.ok(res.status < 300, `${method} ${path} answered ${res.status}`);
      const got = s.datadog.received.at(-1)!;
      t.equal(got.host, `${prefix}.${site}`, `${method} ${path} reached ${prefix}.${site}`);
      t.equal(got.headers['dd-api-key'], KEYS.prodApi);
    }
  });
}
