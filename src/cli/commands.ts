import type { Command } from 'commander';

/**
 * The command table. A command's module (and what it imports: grpc, pg, OpenTelemetry…) is loaded
 * only when that command runs; `--help` and `--version` load commander alone. The descriptions are
 * the commands' own (a test holds them equal), written here so the top-level help needs no module.
 */
export const COMMANDS: Readonly<Record<string, { readonly description: string; readonly load: () => Promise<Command> }>> = {
  serve: { description: 'Run the ext_authz and ext_proc gRPC services and the admin HTTP listener.', load: async () => (await import('./serve.js')).serveCommand() },
  config: { description: 'Work with keyward configuration files.', load: async () => (await import('./config-check.js')).configCommand() },
  mask: { description: 'mask secrets and PII in a request or response body, exactly as the gate does, and print the result', load: async () => (await import('./mask.js')).maskCommand() },
  policy: { description: "Ask the config's policy what it would decide, one call at a time or as a table of cases.", load: async () => (await import('./policy.js')).policyCommand() },
  approvals: { description: 'List, inspect, approve and deny agent calls held for human approval.', load: async () => (await import('./approvals.js')).approvalsCommand() },
  audit: { description: 'Search, replay, export and verify the audit record', load: async () => (await import('./audit.js')).auditCommand() },
  budgets: { description: 'Budget usage and the custom-metric series guard (counters in Redis).', load: async () => (await import('./budgets.js')).budgetsCommand() },
  db: { description: 'Database maintenance', load: async () => (await import('./db.js')).dbCommand() },
  dev: { description: 'Development helpers (never for production secrets).', load: async () => (await import('./dev-certs.js')).devCommand() },
  envoy: { description: 'Envoy configuration for putting keyward in front of Datadog', load: async () => (await import('./envoy.js')).envoyCommand() },
};
