import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { ERRORS, KeywardError, errorBody, isKeywardError, type ErrorCode, type RefusalExtras } from '../errors.js';
import type { AuditSink, CallEvent, Decision } from '../audit/events.js';
import type { ApprovalSettings } from '../config/schema.js';
import { CLUSTER_HEADER } from '../config/sites.js';
import type { IdentityVerifier } from '../identity/verify.js';
import { selectConnection } from '../policy/connection.js';
import { KEY_QUERY_PARAMS, hasKeyParam } from '../policy/request-path.js';
import { auditedPath } from './audited-path.js';
import type { Runtime } from '../runtime.js';
import { sealContext } from './context-seal.js';
import { NO_CODE, type Metrics } from '../telemetry/metrics.js';
import type { TelemetrySpan, Tracing } from '../telemetry/tracing.js';
import type { AllowOutcome, CheckDocument, CheckInput, CheckOutcome, DenyOutcome } from './types.js';

/** Headers that must never travel upstream: agent-supplied Datadog keys and the agent's own token. */
export const AGENT_CREDENTIAL_HEADERS = ['dd-api-key', 'dd-application-key', 'authorization'] as const;
/**
 * Policy classifies the request's own method; a server honouring one of these would act on another
 * (a GET allowed as a read, carried out as a DELETE). Dropped before anything goes upstream.
 */
export const METHOD_OVERRIDE_HEADERS = ['x-http-method-override', 'x-http-method', 'x-method-override'] as const;
export const CONNECTION_HEADER = 'x-keyward-connection';
export const REQUEST_ID_HEADER = 'x-keyward-request-id';

/** What a require_approval decision turns into; the approvals capability plugs in here. */
export type ApprovalGate = (doc: Readonly<CheckDocument>, settings: ApprovalSettings, runtime: Runtime) => Promise<{ approvalId: string; bodySha256: string }>;

export interface AuthorizerDeps {
  readonly runtime: () => Runtime | undefined;
  readonly verify: IdentityVerifier;
  readonly audit: AuditSink;
  readonly log: Logger;
  readonly approvals?: ApprovalGate;
  readonly metrics?: Metrics;
  readonly tracing?: Tracing;
  readonly newRequestId?: () => string;
  readonly now?: () => number;
}

const refuseApproval: ApprovalGate = async () => {
  throw new KeywardError('approval_required');
};

/**
 * The ext_authz pipeline as named phases over one request document:
 * identity (who) → connection (which Datadog org) → classify (what) → policy (may it) →
 * approval (has a human agreed) → audit (durable before OK) → response.
 * A refusal is always an outcome with a stable code, never a thrown error.
 */
export function createAuthorizer(deps: AuthorizerDeps) {
  const newRequestId = deps.newRequestId ?? randomUUID;
  const now = deps.now ?? (() => performance.now());
  const approvals = deps.approvals ?? refuseApproval;
  const spans = new WeakMap<CheckDocument, TelemetrySpan>();

  return async function check(input: CheckInput): Promise<CheckOutcome> {
    const doc: CheckDocument = { input, requestId: newRequestId(), startedAt: now() };
    const span = deps.tracing?.startCheckSpan(input.headers.traceparent, { request_id: doc.requestId, method: input.method });
    if (span) spans.set(doc, span);
    const runtime = deps.runtime();
    if (!runtime) return deny(doc, 'config_unavailable', null);
    try {
      const { config } = runtime;
      // identity
      doc.identity = await deps.verify(input.headers.authorization, config.identity.issuers);
      // connection
      doc.connection = selectConnection(config.connections, doc.identity.groups, input.headers[CONNECTION_HEADER]);
      // classify
      doc.operationClass = runtime.classify(input.method, input.path);
      // policy
      const decision = runtime.policy({
        subject: doc.identity.subject,
        groups: doc.identity.groups,
        connection: doc.connection.name,
        method: input.method,
        path: input.path,
        operationClass: doc.operationClass,
      });
      doc.decision = decision;
      if (decision.action === 'deny') {
        throw new KeywardError(doc.operationClass === 'unknown' && decision.rule === 'default' ? 'operation_unknown' : 'policy_denied');
      }
      // approval
      if (decision.action === 'require_approval') {
        if (input.bodyPartial) throw new KeywardError('body_partial');
        const granted = await approvals(doc, decision.approval!, runtime).catch((e: unknown) => {
          // Held (202), denied or expired: the call row still names the approval it waited on.
          doc.approvalId = approvalIdOf(e);
          throw e;
        });
        doc.approvalId = granted.approvalId;
        doc.approvedBodySha256 = granted.bodySha256;
      }
      // Envoy gave up waiting (e.g. a hold longer than its timeout): nothing is forwarded, so nothing is allowed.
      if (input.signal?.aborted) throw new KeywardError('gate_unavailable', 'check cancelled by Envoy');
      // audit: the call is forwarded only once its row is committed
      try {
        await deps.audit.record(callEvent(doc, runtime, 'allow', null, now()));
      } catch {
        return deny(doc, 'audit_unavailable', runtime, { skipAudit: true });
      }
      return allow(doc, runtime);
    } catch (e) {
      if (isKeywardError(e)) return deny(doc, e.code, runtime, { detail: e.detail, extras: e.extras });
      deps.log.error({ request_id: doc.requestId, err_name: e instanceof Error ? e.name : typeof e }, 'check failed unexpectedly');
      return deny(doc, 'internal_error', runtime);
    }
  };

  function approvalIdOf(e: unknown): string | undefined {
    if (!isKeywardError(e)) return undefined;
    const id = e.extras.body?.approval_id ?? e.extras.error?.approval_id;
    return typeof id === 'string' ? id : undefined;
  }

  function allow(doc: CheckDocument, runtime: Runtime): AllowOutcome {
    const id = doc.identity!;
    const context = {
        request_id: doc.requestId,
        issuer: id.issuer,
        subject: id.subject,
        groups: id.groups,
        client_id: id.clientId ?? '',
        connection: doc.connection!.name,
        operation_class: doc.operationClass!,
        rule: doc.decision!.rule,
        approval_id: doc.approvalId ?? '',
        config_version: runtime.config.version,
        approved_body_sha256: doc.approvedBodySha256 ?? '',
    };
    const outcome: AllowOutcome = {
      kind: 'allow',
      requestId: doc.requestId,
      context: { ...context, ...sealContext(context, runtime.contextKey) },
      headersToRemove: [...AGENT_CREDENTIAL_HEADERS, ...METHOD_OVERRIDE_HEADERS, CONNECTION_HEADER, CLUSTER_HEADER],
      // Only when the query holds a key: asking Envoy to remove a parameter makes it rebuild the whole
      // query (sorted by name, `?flag` → `?flag=`). ext_proc strips key parameters from :path anyway.
      queryParamsToRemove: hasKeyParam(doc.input.path) ? [...KEY_QUERY_PARAMS] : [],
      responseHeaders: { [REQUEST_ID_HEADER]: doc.requestId },
    };
    logDecision(doc, 'allow', null);
    return outcome;
  }

  function deny(doc: CheckDocument, code: ErrorCode, runtime: Runtime | null, opts: { skipAudit?: boolean; detail?: string | undefined; extras?: RefusalExtras } = {}): DenyOutcome {
    const decision: Decision = code === 'approval_pending' ? 'pending' : code === 'internal_error' || ERRORS[code].http >= 500 ? 'error' : 'deny';
    if (!opts.skipAudit && runtime) {
      // Refusals are audited too, but a refusal never waits on the audit store.
      deps.audit.record(callEvent(doc, runtime, decision, code, now())).catch(() => deps.log.warn({ request_id: doc.requestId, code }, 'refusal not audited: audit store unavailable'));
    }
    logDecision(doc, decision, code, opts.detail);
    const spec = ERRORS[code];
    const headers: Record<string, string> = { 'content-type': 'application/json', [REQUEST_ID_HEADER]: doc.requestId };
    if (spec.http === 401) headers['www-authenticate'] = `Bearer error="invalid_token", error_description="${code}"`;
    if (spec.http === 503) headers['retry-after'] = '1';
    Object.assign(headers, opts.extras?.headers);
    return { kind: 'deny', requestId: doc.requestId, code, httpStatus: spec.http, grpcStatus: spec.grpc, headers, body: errorBody(code, doc.requestId, opts.extras) };
  }

  function logDecision(doc: CheckDocument, decision: Decision, code: ErrorCode | null, detail?: string) {
    const latencyMs = now() - doc.startedAt;
    const cls = doc.operationClass ?? 'none';
    const rule = doc.decision?.rule ?? 'none';
    deps.metrics?.decisions.inc({ class: cls, decision, rule, code: code ?? NO_CODE });
    deps.metrics?.checkLatency.observe({ decision }, latencyMs / 1000);
    spans.get(doc)?.end({ subject: doc.identity?.subject, connection: doc.connection?.name, class: cls, decision, rule, ...(code ? { code } : {}) });
    spans.delete(doc);
    deps.log.info(
      {
        request_id: doc.requestId,
        subject: doc.identity?.subject,
        issuer: doc.identity?.issuer,
        connection: doc.connection?.name,
        class: doc.operationClass,
        rule: doc.decision?.rule,
        dry_run: doc.decision?.dryRun.length ? doc.decision.dryRun : undefined,
        method: doc.input.method,
        path: auditedPath(doc, deps.runtime()),
        decision,
        code: code ?? undefined,
        detail,
        latency_ms: round(latencyMs),
      },
      'check',
    );
  }
}

function callEvent(doc: CheckDocument, runtime: Runtime, decision: Decision, code: ErrorCode | null, at: number): CallEvent {
  return {
    kind: 'call',
    // When the call arrived (latency_ms says how long deciding took): a held call then sorts before
    // the approval steps it caused, as it happened.
    time: new Date(Date.now() - (at - doc.startedAt)),
    request_id: doc.requestId,
    issuer: doc.identity?.issuer ?? null,
    subject: doc.identity?.subject ?? null,
    groups: doc.identity?.groups ?? [],
    client_id: doc.identity?.clientId ?? null,
    connection: doc.connection?.name ?? null,
    method: doc.input.method,
    path: auditedPath(doc, runtime),
    operation_class: doc.operationClass ?? null,
    decision,
    rule: doc.decision?.rule ?? null,
    approval_id: doc.approvalId ?? null,
    reason_code: code,
    dry_run: doc.decision?.dryRun ?? [],
    latency_ms: round(at - doc.startedAt),
    config_version: runtime.config.version,
  };
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;

export type Authorizer = ReturnType<typeof createAuthorizer>;
