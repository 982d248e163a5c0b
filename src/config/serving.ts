import type { ConfigIssue, KeywardConfig } from './load.js';

/**
 * What a config needs before a gate may serve it: a config that can allow nothing (no issuer to trust,
 * no connection to inject) is a mistake, most often a truncated or half-written file. Refused at start
 * and on reload (the previous config keeps serving), and by `keyward config check`. The audit and
 * database commands read configs without this check: they need only the database section.
 */
export function servingIssues(config: KeywardConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  if (config.identity.issuers.length === 0) issues.push({ path: 'identity.issuers', message: 'no issuer is configured: every call would be refused (token_issuer_unknown)' });
  if (config.connections.length === 0) issues.push({ path: 'connections', message: 'no connection is configured: no call could reach Datadog' });
  return issues;
}
