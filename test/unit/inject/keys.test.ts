import t from 'tap';
import { parseConfig } from '../../../src/config/load.js';
import { needsApplicationKey, pathWithoutKeys, planKeyInjection } from '../../../src/inject/keys.js';
import { hostRoleFor, routeFor } from '../../../src/inject/routing.js';

const [withApp, apiOnly] = parseConfig(`connections:
  - { name: a, site: datadoghq.eu, api_key: ${'a'.repeat(32)}, app_key: ${'b'.repeat(40)}, groups: [g] }
  - { name: b, site: us5.datadoghq.com, api_key: ${'c'.repeat(32)}, groups: [g] }
`).connections as [never, never];

t.test('inject: API key always, application key only where the endpoint needs it and the connection has one', async (t) => {
  t.same(planKeyInjection(withApp, 'POST', '/api/v2/series').set, [['dd-api-key', 'a'.repeat(32)]]);
  t.same(planKeyInjection(withApp, 'GET', '/api/v1/monitor').set, [['dd-api-key', 'a'.repeat(32)], ['dd-application-key', 'b'.repeat(40)]]);
  t.same(planKeyInjection(apiOnly, 'GET', '/api/v1/monitor').set, [['dd-api-key', 'c'.repeat(32)]]);
  t.ok(planKeyInjection(withApp, 'POST', '/api/v2/series').remove.includes('dd-application-key'), 'an agent app key is removed where none is injected');
  t.notOk(needsApplicationKey('GET', '/api/v1/validate'));
  t.ok(needsApplicationKey('POST', '/api/v1/dashboard'));
});

t.test('inject: keys in paths and queries are removed, other parameters kept', async (t) => {
  t.equal(pathWithoutKeys('/api/v2/series'), null);
  t.equal(pathWithoutKeys('/api/v2/series?api_key=x&foo=1'), '/api/v2/series?foo=1');
  t.equal(pathWithoutKeys('/api/v1/query?Application_Key=x'), '/api/v1/query');
  t.equal(pathWithoutKeys('/api/v2/logs?dd-api-key=x&ddsource=a'), '/api/v2/logs?ddsource=a');
  t.equal(pathWithoutKeys('/api/v2/logs?dd%2Dapi%2Dkey=x'), '/api/v2/logs', 'encoded names too');
  t.equal(pathWithoutKeys('/v1/input/abcdef?ddtags=x'), '/v1/input?ddtags=x');
  t.equal(pathWithoutKeys('/V1/INPUT/abcdef'), '/v1/input', 'whatever the case (the classifier ignores it too)');
  t.equal(needsApplicationKey('POST', '/V1/Input/abcdef'), false, 'an intake path in capitals gets the API key only');
});

t.test('routing: path decides the host role; the site decides the host', async (t) => {
  t.equal(hostRoleFor('POST', '/api/v2/logs?x=1'), 'logs');
  t.equal(hostRoleFor('POST', '/v1/input/k'), 'logs');
  t.equal(hostRoleFor('POST', '/V1/INPUT/k'), 'logs', 'case-blind, like the classifier');
  t.equal(hostRoleFor('POST', '/api/v2/events'), 'events');
  t.equal(hostRoleFor('GET', '/api/v2/events'), 'api', 'reading events is the API');
  t.same(routeFor('ddog-gov.com', 'POST', '/api/v2/logs'), { cluster: 'dd_logs_ddog_gov_com', host: 'http-intake.logs.ddog-gov.com' });
  t.same(routeFor('ap1.datadoghq.com', 'GET', '/api/v1/validate'), { cluster: 'dd_api_ap1_datadoghq_com', host: 'api.ap1.datadoghq.com' });
});

t.test('inject: a key after a ";" separator is removed too', async (t) => {
  t.equal(pathWithoutKeys('/api/v2/series?a=1;api_key=k'), '/api/v2/series?a=1');
});
