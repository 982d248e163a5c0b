import t from 'tap';
import { createClassifier } from '../../../src/policy/catalogue.js';

const classify = createClassifier();

const cases: [string, string, string][] = [
  // telemetry-write
  ['POST', '/api/v1/series', 'telemetry-write'],
  ['POST', '/api/v2/series', 'telemetry-write'],
  ['POST', '/api/v1/distribution_points', 'telemetry-write'],
  ['POST', '/api/v1/check_run', 'telemetry-write'],
  ['POST', '/api/v1/events', 'telemetry-write'],
  ['POST', '/api/v2/logs', 'telemetry-write'],
  ['POST', '/api/v2/logs?ddsource=agent', 'telemetry-write'],
  ['POST', '/v1/input/abcdef0123456789abcdef0123456789', 'telemetry-write'],
  // read
  ['GET', '/api/v1/validate', 'read'],
  ['GET', '/api/v1/monitor', 'read'],
  ['GET', '/api/v1/monitor/123', 'read'],
  ['GET', '/api/v1/dashboard/abc-def-ghi', 'read'],
  ['GET', '/api/v1/query?from=1&to=2&query=avg:system.cpu.user{*}', 'read'],
  ['POST', '/api/v2/logs/events/search', 'read'],
  ['GET', '/api/v1/slo/xyz/history', 'read'],
  ['GET', '/api/v1/hosts', 'read'],
  // config-change
  ['POST', '/api/v1/dashboard', 'config-change'],
  ['PUT', '/api/v1/dashboard/abc-def-ghi', 'config-change'],
  ['POST', '/api/v1/monitor', 'config-change'],
  ['PUT', '/api/v1/monitor/123', 'config-change'],
  ['POST', '/api/v2/downtime', 'config-change'],
  ['POST', '/api/v1/synthetics/tests/api', 'config-change'],
  ['PATCH', '/api/v2/logs/config/archives/x', 'config-change'],
  ['POST', '/api/v1/logs/config/pipelines', 'config-change'],
  ['PATCH', '/api/v2/sensitive-data-scanner/config/rules/r1', 'config-change'],
  // destructive
  ['DELETE', '/api/v1/monitor/123', 'destructive'],
  ['DELETE', '/api/v1/dashboard/abc', 'destructive'],
  ['DELETE', '/api/v1/dashboard', 'destructive'],
  ['POST', '/api/v1/monitor/mute_all', 'destructive'],
  // Bulk deletes are destructive, not config changes (found by review: they matched write() first).
  ['POST', '/api/v1/slo/bulk_delete', 'destructive'],
  ['POST', '/api/v2/security_monitoring/rules/bulk_delete', 'destructive'],
  ['POST', '/api/v1/synthetics/tests/delete', 'destructive'],
  ['POST', '/api/v1/downtime/cancel/by_scope', 'destructive'],
  ['DELETE', '/api/v1/unheard/of', 'destructive'],
  // credential-admin (reads too)
  ['GET', '/api/v2/api_keys', 'credential-admin'],
  ['POST', '/api/v2/api_keys', 'credential-admin'],
  ['DELETE', '/api/v2/application_keys/k1', 'credential-admin'],
  ['POST', '/api/v2/service_accounts', 'credential-admin'],
  ['PATCH', '/api/v2/users/u1', 'credential-admin'],
  ['GET', '/api/v2/roles', 'credential-admin'],
  ['POST', '/api/v2/restriction_policy/dashboard:abc', 'credential-admin'],
  ['GET', '/api/v1/synthetics/variables', 'credential-admin'],
  // unknown
  ['GET', '/api/v9/whatever', 'unknown'],
  ['POST', '/api/v1/hosts', 'unknown'],
  ['GET', '/', 'unknown'],
  // path tricks are unknown, never a lucky match
  ['GET', '/api/v1/monitor/../api_key', 'unknown'],
  ['GET', '/api/v1//monitor', 'unknown'],
  ['GET', '/api/v2%2fapi_keys', 'unknown'],
  ['POST', '/api/v1/./series', 'unknown'],
];

for (const [method, path, expected] of cases) {
  t.equal(classify(method, path), expected, `catalogue: ${method} ${path} → ${expected}`);
}

t.test('catalogue: config overrides come before the built-in entries', async (t) => {
  const c = createClassifier([{ method: 'POST', path: '/api/v1/monitor/*/validate', class: 'read' }]);
  t.equal(c('POST', '/api/v1/monitor/42/validate'), 'read');
  t.equal(c('POST', '/api/v1/monitor/42'), 'config-change');
  t.equal(c('post', '/api/v1/monitor/42/validate'), 'read', 'methods are case-insensitive');
});

t.test('catalogue: case variants, path parameters and encodings never reach a less sensitive class', async (t) => {
  t.equal(classify('POST', '/api/v1/monitor/Mute_All'), 'destructive');
  t.equal(classify('GET', '/api/v1/synthetics/Variables/x'), 'credential-admin');
  t.equal(classify('POST', '/api/v1/monitor/mute_all;x'), 'unknown');
  t.equal(classify('GET', '/api/v1/synthetics/variables;a/x'), 'unknown');
  t.equal(classify('GET', '/api/v1/synthetics/%76ariables'), 'unknown');
  t.equal(classify('GET', '/api/v1/monitor?q=a%20b'), 'read', 'encodings in the query are fine');
});
