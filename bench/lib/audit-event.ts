import type { CallEvent } from '../../src/audit/events.js';

/** The call row both audit benches write: an allowed metrics submission by one of 50 agents. */
export const benchCallEvent = (i: number): CallEvent => ({
  kind: 'call',
  time: new Date(),
  request_id: `bench-${i}`,
  issuer: 'https://issuer.example',
  subject: `agent-${i % 50}`,
  groups: ['agents'],
  client_id: 'bench',
  connection: 'prod',
  method: 'POST',
  path: '/api/v2/series',
  operation_class: 'telemetry-write',
  decision: 'allow',
  rule: 'telemetry',
  approval_id: null,
  reason_code: null,
  dry_run: [],
  latency_ms: 0.42,
  config_version: 'bench',
});
