import { clusterName, siteHost, type DatadogSite, type HostRole } from '../config/sites.js';
import { splitRequestPath } from '../policy/request-path.js';

/**
 * Which Datadog host serves a path. One agent-facing base URL reaches all of them, so keyward
 * routes by path: logs intake and v2 events intake have hosts of their own, everything else is the API.
 */
export function hostRoleFor(method: string, rawPath: string): HostRole {
  // Case-blind, like the classifier: a path it calls telemetry-write goes where that telemetry goes.
  const path = splitRequestPath(rawPath).path.toLowerCase();
  const m = method.toUpperCase();
  if (m === 'POST' && (path === '/api/v2/logs' || path === '/v1/input' || path.startsWith('/v1/input/'))) return 'logs';
  if (m === 'POST' && path === '/api/v2/events') return 'events';
  return 'api';
}

export interface Route {
  /** Envoy cluster (envoy.yaml defines one per site and role). */
  readonly cluster: string;
  /** Host the upstream expects (Envoy rewrites :authority to it). */
  readonly host: string;
}

export function routeFor(site: DatadogSite, method: string, rawPath: string): Route {
  const role = hostRoleFor(method, rawPath);
  return { cluster: clusterName(site, role), host: siteHost(site, role) };
}
