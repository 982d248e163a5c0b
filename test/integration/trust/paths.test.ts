import t from 'tap';
import { startDevIssuer, type DevIssuer } from '../../../dev/dev-issuer.js';
import { KEYS, baseConfig, startTestGate, type TestGate } from '../../helpers/gate.js';

let issuer: DevIssuer;
let tg: TestGate;

t.before(async () => {
  issuer = await startDevIssuer();
  // A broad operator rule: it would allow anything under /api/v1/monitor, unknown class included.
  tg = await startTestGate(baseConfig([{ issuer: issuer.issuer }], { rules: [{ name: 'monitors', match: { method: 'GET', path: '/api/v1/monitor/**' }, action: 'allow' }] }));
});
t.teardown(async () => {
  await tg.stop();
  await issuer.close();
});

const NON_CANONICAL: [string, string][] = [
  ['/api/v1/monitor/..;/..;/v2/api_keys', 'path parameters hiding dot segments'],
  ['/api/v1/monitor/../../v2/api_keys', 'dot segments'],
  ['/api/v1/monitor/%2e%2e/%2e%2e/v2/api_keys', 'encoded dot segments (lower case)'],
  ['/api/v1/monitor/%2E%2E/%2E%2E/v2/api_keys', 'encoded dot segments (upper case)'],
  ['/api/v1/monitor/.%2e/.%2E/v2/api_keys', 'mixed dot segments'],
  ['/api/v1/monitor/./1', 'single dot segment'],
  ['/api/v1/monitor/1;jsessionid=x', '";" parameter'],
  ['/api/v1/monitor/%61pi_keys', 'encoded unreserved letter'],
  ['/api/v1/monitor/1%5F2', 'encoded underscore'],
  ['/api/v1/monitor/..%2f..%2fv2%2fapi_keys', 'encoded slash'],
  ['/api/v1/monitor/..\\..\\v2\\api_keys', 'backslashes'],
  ['/api/v1/monitor/%5c..%5cv2', 'encoded backslash'],
  ['/api/v1/monitor//1', 'empty segment'],
  ['/api/v1/monitor/%252e%252e/v2', 'double encoding'],
  ['/api/v1/monitor/%c0%ae%c0%ae/v2', 'overlong UTF-8 dot'],
  ['/api/v1/monitor/%zz', 'malformed escape'],
  ['/api/v1/monitor/%00', 'encoded NUL'],
];

for (const [path, what] of NON_CANONICAL) {
  t.test(`trust: non-canonical path (${what}) → 400 path_not_canonical before policy, no context, no key`, async (t) => {
    const res = await tg.check({ method: 'GET', path, headers: { authorization: `Bearer ${await issuer.mint({ subject: 'agent-1', groups: ['agents'] })}` } });
    t.equal(res.status?.code, 3, 'gRPC INVALID_ARGUMENT');
    t.equal(res.denied_response?.status?.code, 'BadRequest');
    const body = JSON.parse(res.denied_response!.body!) as { error: { code: string; request_id: string } };
    t.equal(body.error.code, 'path_not_canonical');
    t.notOk(res.ok_response, 'no ok response');
    t.notOk(res.dynamic_metadata?.fields?.keyward, 'no sealed context for ext_proc: nothing can obtain a key');
    t.notOk(Object.values(KEYS).some((k) => JSON.stringify(res).includes(k)));
    const row = tg.audit.events.find((e) => e.request_id === body.error.request_id);
    t.match(row, { kind: 'call', decision: 'deny', reason_code: 'path_not_canonical', subject: 'agent-1', rule: null }, 'audited with who tried; no rule ran');
  });
}

t.test('trust: canonical paths, trailing slash and harmless escapes still reach policy', async (t) => {
  const headers = { authorization: `Bearer ${await issuer.mint({ subject: 'agent-1', groups: ['agents'] })}` };
  for (const path of ['/api/v1/monitor/1', '/api/v1/monitor/', '/api/v1/monitor/a%20b', '/api/v1/monitor/1?q=..;%2e&x=%41']) {
    const res = await tg.check({ method: 'GET', path, headers });
    t.equal(res.status?.code, 0, `${path} allowed by the monitors rule`);
  }
});
