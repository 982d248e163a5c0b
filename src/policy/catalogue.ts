import type { OperationClass } from '../config/schema.js';
import { compilePathGlob } from './path-glob.js';
import { splitRequestPath } from './request-path.js';

/**
 * keyward's built-in catalogue of Datadog operations: method + path glob → operation class.
 * Entries are tried in order and the first match wins, so the most sensitive classes come first.
 * Config `policy.operations` entries are tried before these.
 */
export interface CatalogueEntry {
  readonly method: string; // an HTTP method or "*"
  readonly path: string;
  readonly class: OperationClass;
}

const any = (path: string, cls: OperationClass): CatalogueEntry => ({ method: '*', path, class: cls });
const get = (path: string, cls: OperationClass = 'read'): CatalogueEntry => ({ method: 'GET', path, class: cls });
const post = (path: string, cls: OperationClass): CatalogueEntry => ({ method: 'POST', path, class: cls });
const write = (path: string): CatalogueEntry[] => ['POST', 'PUT', 'PATCH'].map((method) => ({ method, path, class: 'config-change' as const }));

export const BUILTIN_CATALOGUE: readonly CatalogueEntry[] = Object.freeze([
  // credential-admin: anything touching keys, identities or access control, reads included.
  ...[
    '/api/v1/api_key/**', '/api/v2/api_keys/**', '/api/v1/application_key/**', '/api/v2/application_keys/**',
    '/api/v2/current_user/application_keys/**', '/api/v2/service_accounts/**', '/api/v1/user/**', '/api/v2/users/**',
    '/api/v2/roles/**', '/api/v2/permissions/**', '/api/v2/restriction_policy/**', '/api/v1/synthetics/variables/**',
    '/api/v2/team/**', '/api/v1/org/**', '/api/v2/org_configs/**', '/api/v2/authn_mappings/**',
  ].map((p) => any(p, 'credential-admin')),
  // destructive: any DELETE, and the POSTs that delete, mute or cancel in bulk.
  { method: 'DELETE', path: '/**', class: 'destructive' },
  post('/api/v1/monitor/mute_all', 'destructive'),
  post('/api/v1/downtime/cancel/by_scope', 'destructive'),
  post('/api/v1/synthetics/tests/delete', 'destructive'),
  post('/api/v1/dashboard/delete', 'destructive'),
  post('/api/v1/logs/config/indexes/*/delete', 'destructive'),
  // …and any POST whose last segment says it deletes (slo/bulk_delete, security_monitoring/rules/bulk_delete…).
  post('/**/bulk_delete', 'destructive'),
  post('/**/delete', 'destructive'),
  // telemetry-write: intake endpoints (API key only).
  ...['/api/v1/series', '/api/v1/distribution_points', '/api/v1/check_run', '/api/v1/events', '/api/v2/series', '/api/v2/logs', '/api/v2/events', '/v1/input', '/v1/input/*', '/api/v1/intake'].map((p) =>
    post(p, 'telemetry-write'),
  ),
  // read: queries sent as POST bodies.
  ...['/api/v2/logs/events/search', '/api/v2/logs/analytics/aggregate', '/api/v1/logs-queries/list', '/api/v2/query/timeseries', '/api/v2/query/scalar', '/api/v2/spans/events/search', '/api/v2/events/search'].map((p) =>
    post(p, 'read'),
  ),
  // read: GETs of the resources agents look at.
  ...[
    '/api/v1/validate', '/api/v1/query', '/api/v1/metrics/**', '/api/v2/metrics/**', '/api/v1/search', '/api/v1/monitor/**',
    '/api/v1/dashboard/**', '/api/v1/events/**', '/api/v2/events/**', '/api/v1/slo/**', '/api/v1/hosts/**', '/api/v1/tags/hosts/**',
    '/api/v2/logs/events/**', '/api/v1/logs/config/**', '/api/v2/logs/config/**', '/api/v1/downtime/**', '/api/v2/downtime/**',
    '/api/v1/synthetics/**', '/api/v1/notebooks/**', '/api/v2/incidents/**', '/api/v2/services/**', '/api/v1/usage/**',
    '/api/v2/sensitive-data-scanner/**', '/api/v1/integration/**', '/api/v2/integration/**', '/api/v1/service_dependencies/**',
  ].map((p) => get(p)),
  // config-change: creating and changing what Datadog monitors, shows and keeps.
  ...[
    '/api/v1/dashboard/**', '/api/v2/dashboard/lists/**', '/api/v1/monitor/**', '/api/v1/downtime/**', '/api/v2/downtime/**',
    '/api/v1/slo/**', '/api/v1/synthetics/**', '/api/v1/notebooks/**', '/api/v1/logs/config/**', '/api/v2/logs/config/**',
    '/api/v2/sensitive-data-scanner/**', '/api/v1/integration/**', '/api/v2/integration/**', '/api/v2/incidents/**',
    '/api/v2/security_monitoring/**', '/api/v2/metrics/*/tags',
  ].flatMap(write),
]);

interface CompiledEntry {
  readonly method: string;
  readonly pattern: RegExp;
  readonly class: OperationClass;
}

export type Classifier = (method: string, rawPath: string) => OperationClass;

/** Compiles config overrides + the built-in catalogue once (per config version) into a classifier. */
export function createClassifier(overrides: readonly CatalogueEntry[] = []): Classifier {
  const entries: CompiledEntry[] = [...overrides, ...BUILTIN_CATALOGUE].map((e) => ({ method: e.method.toUpperCase(), pattern: compilePathGlob(e.path), class: e.class }));
  return (method, rawPath) => {
    const { path, canonical } = splitRequestPath(rawPath);
    if (!canonical) return 'unknown';
    const m = method.toUpperCase();
    // Catalogue paths are lower-case; a case variant must not slip past a sensitive entry.
    const lower = path.toLowerCase();
    for (const e of entries) {
      if ((e.method === '*' || e.method === m) && e.pattern.test(lower)) return e.class;
    }
    return 'unknown';
  };
}
