import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { ERRORS, KeywardError, errorBody, isKeywardError, type ErrorCode, type RefusalExtras } from '../errors.js';
import type { AuditSink, CallEvent, Decision } from '../audit/events.js';
import type { ApprovalSettings } from '../config/schema.js';
import { AGENT_CREDENTIAL_HEADERS, CLUSTER_HEADER, CONNECTION_HEADER, METHOD_OVERRIDE_HEADERS, REQUEST_ID_HEADER } from '../envoy/contract.js';
import type { IdentityVerifier } from '../identity/verify.js';
import { scopedGroups } from '../identity/group-scope.js';
import { selectConnection } from '../policy/connection.js';
import { KEY_QUERY_PARAMS, hasKeyParam } from '../policy/request-path.js';
import { pathShapeProblem } from '../policy/path-shape.js';
import { auditedPath } from './audited-path.js';
import { agentKeyFinding, findAgentKeys, headersWithNewFormatKeys } from '../inject/agent-keys.js';
import { isKeyParam, paramName, queryParts, splitRequestPath } from '../policy/request-path.js';
import type { Runtime } from '../config/compile.js';
import { sealContext } from '../seal/context-seal.js';
import { boundRequest } from '../seal/context-binding.js';
import { NO_CODE, type Metrics } from '../telemetry/metrics.js';
import type { TelemetrySpan, Tracing } from '../telemetry/tracing.js';
import type { BudgetGuard } from '../budgets/index.js';
import type { AllowOutcome, CheckDocument, CheckInput, CheckOutcome, DenyOutcome } from './types.js';
import type { WallClock } from '../clock.js';


/** What a require_approval decision turns into; the approvals capability plugs in here. */
export type ApprovalHold = (doc: Readonly<CheckDocument>, settings: ApprovalSettings, runtime: Runtime) => Promise<{ approvalId: string; bodySha256: string }>;

export interface AuthorizerDeps {
  readonly runtime: () => Runtime | undefined;
  readonly verify: IdentityVerifier;
  readonly audit: AuditSink;
  readonly log: Logger;
  readonly approvals?: ApprovalHold;
  /** Per-identity budgets (src/budgets): a call over one is refused with budget_exceeded. */
  readonly budgets?: BudgetGuard;
  readonly metrics?: Metrics;
  readonly tracing?: Tracing;
  readonly newRequestId?: () => string;
  /** Monotonic milliseconds, for latency. */
  readonly now?: () => number;
  /** Wall clock, for the audit row's time. */
  readonly clock?: WallClock;
}

const refuseApproval: ApprovalHold = async () => {
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
  const clock = deps.clock ?? Date.now;
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
      // agent keys: recorded on every call row, refused or not (a fingerprint, never the value)
      doc.agentKeys = findAgentKeys({ headers: input.headers, path: input.path, body: input.body, contentEncoding: input.headers['content-encoding'] }, config.masking.hmac_key ?? runtime.contextKey);
      for (const k of doc.agentKeys) deps.metrics?.agentKeys.inc({ place: k.place });
      // identity
      doc.identity = await deps.verify(input.headers.authorization, config.identity.issuers);
      if (doc.agentKeys.length > 0 && config.policy.agent_keys === 'refuse') throw new KeywardError('agent_key_present');
      // path shape: a path the gate and Datadog could read differently never reaches policy
      const shape = pathShapeProblem(splitRequestPath(input.path).path);
      if (shape !== null) throw new KeywardError('path_not_canonical', shape);
      // connection
      // Groups count only as their issuer asserted them (issuer B's `agents` is not issuer A's).
      const groups = scopedGroups(doc.identity);
      doc.connection = selectConnection(config.connections, groups, input.headers[CONNECTION_HEADER]);
      // classify
      doc.operationClass = runtime.classify(input.method, input.path);
      // policy
      const decision = runtime.policy({
        subject: doc.identity.subject,
        groups,
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
      // budgets: the call is counted only once policy and approval let it through
      if (deps.budgets) {
        const id = doc.identity;
        doc.rateLimitHeaders = await deps.budgets.checkRequest(config, { issuer: id.issuer, subject: id.subject, groups, connection: doc.connection.name, operationClass: doc.operationClass });
      }
      // Envoy gave up waiting (e.g. a hold longer than its timeout): nothing is forwarded, so nothing is allowed.
      if (input.signal?.aborted) throw new KeywardError('gate_unavailable', 'check cancelled by Envoy');
      // audit: the call is forwarded only once its row is committed
      try {
        await deps.audit.record(callEvent(doc, runtime, 'allow', null, now(), clock()));
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
        ...boundRequest(doc.input.method, doc.input.path),
    };
    const outcome: AllowOutcome = {
      kind: 'allow',
      requestId: doc.requestId,
      context: { ...context, ...sealContext(context, runtime.contextKey) },
      headersToRemove: [...AGENT_CREDENTIAL_HEADERS, ...METHOD_OVERRIDE_HEADERS, CONNECTION_HEADER, CLUSTER_HEADER, ...headersWithNewFormatKeys(Object.entries(doc.input.headers))],
      // Only when the query holds a key: asking Envoy to remove a parameter makes it rebuild the whole
      // query (sorted by name, `?flag` → `?flag=`). ext_proc strips key parameters from :path anyway.
      queryParamsToRemove: hasKeyParam(doc.input.path) ? keyParamNames(doc.input.path) : [],
      responseHeaders: { ...doc.rateLimitHeaders, [REQUEST_ID_HEADER]: doc.requestId },
    };
    logDecision(doc, 'allow', null);
    return outcome;
  }

  function deny(doc: CheckDocument, code: ErrorCode, runtime: Runtime | null, opts: { skipAudit?: boolean; detail?: string | undefined; extras?: RefusalExtras } = {}): DenyOutcome {
    const decision: Decision = code === 'approval_pending' ? 'pending' : code === 'internal_error' || ERRORS[code].http >= 500 ? 'error' : 'deny';
    if (!opts.skipAudit && runtime) {
      // Refusals are audited too, but a refusal never waits on the audit store.
      deps.audit.record(callEvent(doc, runtime, decision, code, now(), clock())).catch(() => deps.log.warn({ request_id: doc.requestId, code }, 'refusal not audited: audit store unavailable'));
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

function callEvent(doc: CheckDocument, runtime: Runtime, decision: Decision, code: ErrorCode | null, at: number, wallNow: number): CallEvent {
  return {
    kind: 'call',
    // When the call arrived (latency_ms says how long deciding took): a held call then sorts before
    // the approval steps it caused, as it happened.
    time: new Date(wallNow - (at - doc.startedAt)),
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
    findings: doc.agentKeys && doc.agentKeys.length > 0 ? [agentKeyFinding(doc.agentKeys)!] : [],
  };
}

/** The legacy key parameters, and any other parameter whose value is a newer-format Datadog key. */
function keyParamNames(rawPath: string): string[] {
  const names = new Set<string>(KEY_QUERY_PARAMS);
  for (const part of queryParts(splitRequestPath(rawPath).query)) if (isKeyParam(part)) names.add(paramName(part));
  return [...names];
}

const round = (ms: number) => Math.round(ms * 1000) / 1000;

export type Authorizer = ReturnType<typeof createAuthorizer>;
