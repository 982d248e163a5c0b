/** Datadog sites keyward can route to, and the upstream host for each role. */
export const DATADOG_SITES = [
  'datadoghq.com',
  'us3.datadoghq.com',
  'us5.datadoghq.com',
  'datadoghq.eu',
  'ap1.datadoghq.com',
  'ap2.datadoghq.com',
  'ddog-gov.com',
] as const;

export type DatadogSite = (typeof DATADOG_SITES)[number];

/** Which Datadog host serves a request: the API, the logs intake, or the v2 event-management intake. */
export type HostRole = 'api' | 'logs' | 'events';

export function siteHost(site: DatadogSite, role: HostRole): string {
  switch (role) {
    case 'api':
      return `api.${site}`;
    case 'logs':
      return `http-intake.logs.${site}`;
    case 'events':
      return `event-management-intake.${site}`;
  }
}

/**
 * Envoy cluster name for a site and role, e.g. "dd_api_datadoghq_eu". envoy/envoy.yaml defines one
 * cluster per name and ext_proc sets it in the routing header; both read this function's output.
 */
export function clusterName(site: DatadogSite, role: HostRole): string {
  return `dd_${role}_${site.replace(/[.-]/g, '_')}`;
}
