import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { AdminHandler } from '../admin/server.js';

/**
 * keyward's Prometheus instruments. Every label takes values from a small closed set: error codes,
 * operation classes, rule names from the config, phases, outcomes. Subjects, request ids, paths,
 * keys, tokens and bodies are never labels (a subject belongs on a span, see tracing.ts).
 */

/** ext_proc phases, the `phase` label of `procLatency`. */
export type ProcPhaseLabel = 'request_headers' | 'request_body' | 'request_trailers' | 'response_headers' | 'response_body' | 'response_trailers';
/** The `state` label of `approvals` and `approvalWait`. */
export type ApprovalStateLabel = 'requested' | 'approved' | 'rejected' | 'expired' | 'cancelled';
/** The `outcome` label of audit commits, JWKS fetches and config reloads. */
export type OutcomeLabel = 'ok' | 'failed';
/** The `code` label value of an allowed call (refusals carry their code from src/errors.ts). */
export const NO_CODE = 'none';

export interface MetricsOptions {
  /** Also export Node's process metrics (RSS, heap, event-loop lag, GC) with the `process_`/`nodejs_` names. Default true. */
  defaultMetrics?: boolean;
  /** Labels added to every series (e.g. `{ replica: 'a' }`); keep them constant. */
  staticLabels?: Readonly<Record<string, string>>;
}

export interface Metrics {
  readonly registry: Registry;
  /** Check outcomes. class: operation class or `none`; decision: allow|deny|pending|error; rule: rule name or `none`; code: error code or `none`. */
  readonly decisions: Counter<'class' | 'decision' | 'rule' | 'code'>;
  /** Seconds from Check received to answer, by decision. */
  readonly checkLatency: Histogram<'decision'>;
  /** Seconds spent answering one ext_proc message, by phase. */
  readonly procLatency: Histogram<'phase'>;
  /** Approval state transitions (requested, approved, rejected, expired, cancelled). */
  readonly approvals: Counter<'state'>;
  /** Seconds a held call waited for a human, by the state it ended in. */
  readonly approvalWait: Histogram<'state'>;
  /** Masking findings by detector type and body direction (request|response). */
  readonly maskFindings: Counter<'type' | 'direction'>;
  /** Datadog keys agents sent (stripped and recorded), by place: header, query, path, body. */
  readonly agentKeys: Counter<'place'>;
  /** Bytes of bodies (as received) that masking rewrote, by direction. */
  readonly bytesMasked: Counter<'direction'>;
  /** Rows per audit group commit. */
  readonly auditBatchSize: Histogram<string>;
  /** Seconds per audit group commit transaction, by outcome. */
  readonly auditCommitLatency: Histogram<'outcome'>;
  /** Events waiting for the next group commit. Set it, or give a source with `auditQueueDepthFrom`. */
  readonly auditQueueDepth: Gauge<string>;
  /** Audit records (rows, signed heads) the witness export dropped: queue full or receiver failing. */
  readonly auditExportDropped: Counter<string>;
  /** JWKS fetches from issuers, by outcome. */
  readonly jwksFetches: Counter<'outcome'>;
  /** Config reloads (file watch, SIGHUP), by outcome. */
  readonly configReloads: Counter<'outcome'>;
  /** Sample `auditQueueDepth` from this function at every scrape. */
  auditQueueDepthFrom(source: () => number): void;
  /** `GET /metrics` in Prometheus text format, for startAdminServer's `handlers`. */
  adminHandler(): AdminHandler;
}

/** Sub-millisecond to one second: Check and ext_proc answers are meant to take well under 2 ms. */
const FAST_SECONDS = [0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];
const APPROVAL_SECONDS = [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 14400];
const BATCH_ROWS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];

/** One registry per call, so several gates in one process (tests) never share series. */
export function createMetrics(options: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  if (options.staticLabels) registry.setDefaultLabels({ ...options.staticLabels });
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  let queueSource: (() => number) | null = null;

  const metrics: Metrics = {
    registry,
    decisions: new Counter({ name: 'keyward_decisions_total', help: 'Check decisions by operation class, decision, rule and code.', labelNames: ['class', 'decision', 'rule', 'code'] as const, registers }),
    checkLatency: new Histogram({ name: 'keyward_check_duration_seconds', help: 'Time to answer one ext_authz Check.', labelNames: ['decision'] as const, buckets: FAST_SECONDS, registers }),
    procLatency: new Histogram({ name: 'keyward_proc_phase_duration_seconds', help: 'Time to answer one ext_proc message, by phase.', labelNames: ['phase'] as const, buckets: FAST_SECONDS, registers }),
    approvals: new Counter({ name: 'keyward_approvals_total', help: 'Approval state transitions.', labelNames: ['state'] as const, registers }),
    approvalWait: new Histogram({ name: 'keyward_approval_wait_seconds', help: 'Time a held call waited for a decision, by final state.', labelNames: ['state'] as const, buckets: APPROVAL_SECONDS, registers }),
    maskFindings: new Counter({ name: 'keyward_mask_findings_total', help: 'Secrets and PII found and replaced in bodies, by type.', labelNames: ['type', 'direction'] as const, registers }),
    agentKeys: new Counter({ name: 'keyward_agent_supplied_keys_total', help: 'Datadog keys agents sent (stripped, recorded as agent_supplied_key findings), by place.', labelNames: ['place'] as const, registers }),
    bytesMasked: new Counter({ name: 'keyward_masked_bytes_total', help: 'Bytes of bodies (as received) that masking rewrote.', labelNames: ['direction'] as const, registers }),
    auditBatchSize: new Histogram({ name: 'keyward_audit_batch_rows', help: 'Rows written per audit group commit.', buckets: BATCH_ROWS, registers }),
    auditCommitLatency: new Histogram({ name: 'keyward_audit_commit_duration_seconds', help: 'Duration of one audit group-commit transaction.', labelNames: ['outcome'] as const, buckets: FAST_SECONDS, registers }),
    auditQueueDepth: new Gauge({
      name: 'keyward_audit_queue_depth',
      help: 'Audit events waiting for the next group commit.',
      registers,
      collect() {
        if (queueSource) this.set(queueSource());
      },
    }),
    auditExportDropped: new Counter({ name: 'keyward_audit_export_dropped_total', help: 'Audit records the witness export dropped (queue full or receiver failing); the next signed head says how many.', registers }),
    jwksFetches: new Counter({ name: 'keyward_jwks_fetches_total', help: 'JWKS fetches from token issuers, by outcome.', labelNames: ['outcome'] as const, registers }),
    configReloads: new Counter({ name: 'keyward_config_reloads_total', help: 'Config reloads, by outcome.', labelNames: ['outcome'] as const, registers }),
    auditQueueDepthFrom(source) {
      queueSource = source;
    },
    adminHandler: () => metricsHandler(registry),
  };
  return metrics;
}

function metricsHandler(registry: Registry): AdminHandler {
  return async (req, res, url) => {
    if (url.pathname !== '/metrics') return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'method_not_allowed', message: 'Use GET /metrics.' } }));
      return true;
    }
    const text = await registry.metrics();
    res.writeHead(200, { 'content-type': registry.contentType, 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : text);
    return true;
  };
}
