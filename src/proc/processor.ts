import type { Logger } from 'pino';
import type { AuditSink, PayloadEvent } from '../audit/events.js';
import type { FindingSummary } from '../mask/types.js';
import type { CallContext } from '../seal/call-context.js';
import type { ConnectionConfig } from '../config/schema.js';
import { ERRORS, errorBody, isKeywardError, type ErrorCode, type RefusalExtras } from '../errors.js';
import type { BodyVerdict, BudgetCaller, BudgetGuard, MaskingReading } from '../budgets/index.js';
import { connectionKeys, planKeyInjection } from '../inject/keys.js';
import { routeFor } from '../inject/routing.js';
import { headersWithNewFormatKeys } from '../inject/agent-keys.js';
import type { Runtime } from '../config/compile.js';
import type { Metrics } from '../telemetry/metrics.js';
import { maskInline, type MaskPool, type PooledMaskedBody } from '../mask-pool/pool.js';
import { scrubLiterals, sha256Hex } from '../mask/body.js';
import { CONTEXT_TTL_MS, verifySeal } from '../seal/context-seal.js';
import { boundRequest } from '../seal/context-binding.js';
import { refusedStreamEvent } from './refused-stream.js';
import { createConsumedContexts, type ConsumedContexts } from './consumed-contexts.js';
import { CLUSTER_HEADER, REQUEST_ID_HEADER, RESPONSE_HEADERS_TO_STRIP } from '../envoy/contract.js';
import { PASS, type BodyMessage, type HeadersMessage, type ImmediateAnswer, type PhaseAnswer, type StreamProcessor } from './types.js';
import { scopedGroups } from '../identity/group-scope.js';

const EMPTY_BODY_SHA256 = sha256Hex(Buffer.alloc(0));


export interface ProcessorDeps {
  readonly runtime: () => Runtime;
  /** Keys a context may be sealed with: the current config's, and the previous one's during a reload. */
  readonly contextKeys?: () => readonly Buffer[];
  readonly audit: AuditSink;
  readonly log: Logger;
  readonly metrics?: Metrics;
  /** Per-identity budgets and the series guard (src/budgets): weighed on the request body. */
  readonly budgets?: BudgetGuard;
  readonly now?: () => number;
  /** Masks bodies off the main thread, bounded; absent → inline. */
  readonly maskPool?: MaskPool;
  /** Contexts already used on this replica (a sealed context opens one stream once). */
  readonly consumed?: ConsumedContexts;
}

/** Room for every context of one seal lifetime at well above the planned 10k calls/s per replica. */
export const CONSUMED_CONTEXTS_CAPACITY = Math.ceil((CONTEXT_TTL_MS / 1000) * 30_000);

/** A body masked, and how long masking it took (the audit row's latency_ms). */
interface MaskedStep {
  readonly kind: 'masked';
  readonly masked: PooledMaskedBody;
  readonly maskMs: number;
}

interface StreamState {
  context: CallContext;
  /** The connection as it was when the stream started: a key rotation mid-stream does not apply to it. */
  connection: ConnectionConfig;
  runtime: Runtime;
  method: string;
  /** :path as the agent sent it (budgets read the endpoint from it; masking the resource's functional fields). */
  path: string;
  /** A budget weighs this request's body. */
  budgetBody: boolean;
  requestContentType: string | undefined;
  requestEncoding: string | undefined;
  responseContentType: string | undefined;
  responseEncoding: string | undefined;
  upstreamStatus: number | null;
  /** Whether request bodies are masked and audited here (the rule's masking), or only checked against an approval. */
  maskRequest: boolean;
}

/**
 * The ext_proc processor, one instance per stream: swaps keys and routes on request headers,
 * masks and audits bodies, scrubs responses. Answers are data; src/envoy turns them into protos.
 */
export function createProcessorFactory(deps: ProcessorDeps) {
  const now = deps.now ?? (() => performance.now());
  const consumed = deps.consumed ?? createConsumedContexts(CONSUMED_CONTEXTS_CAPACITY);

  return function newStream(): StreamProcessor {
    let state: StreamState | null = null;
    const requestIdOf = () => state?.context.request_id;

    return {
      async requestHeaders(m: HeadersMessage): Promise<PhaseAnswer> {
        const context = m.context;
        if (!context) return refuse('context_missing', undefined);
        const runtime = deps.runtime();
        const method = (m.headers.get(':method') ?? 'GET').toUpperCase();
        const rawPath = m.headers.get(':path') ?? '/';
        // Only a context ext_authz sealed (after its audit row committed) may unlock a key.
        if (!verifySeal(context, context.expires_at, context.seal, deps.contextKeys?.() ?? [runtime.contextKey])) return refuseStream('seal', null, runtime, method, rawPath);
        // ... once: any stream that shows a valid seal uses it up, whatever it asks for.
        const claim = consumed.claim(context.request_id, context.expires_at);
        if (claim === 'full') return refuse('gate_unavailable', context.request_id);
        if (claim === 'replayed') return refuseStream('replayed', context, runtime, method, rawPath);
        // ... and only for the call it was checked for.
        const bound = boundRequest(method, rawPath);
        if (bound.method !== context.method || bound.path !== context.path) return refuseStream('other_request', context, runtime, method, rawPath);
        const connection = runtime.config.connections.find((c) => c.name === context.connection);
        if (!connection) return refuse('connection_unknown', context.request_id);
        const masking = runtime.maskingFor(context.rule);
        const budgetBody = deps.budgets?.needsBody(runtime.config, callerOf(context), method, rawPath) ?? false;
        state = {
          context,
          connection,
          runtime,
          method,
          path: rawPath,
          budgetBody,
          requestContentType: m.headers.get('content-type'),
          requestEncoding: m.headers.get('content-encoding'),
          responseContentType: undefined,
          responseEncoding: undefined,
          upstreamStatus: null,
          maskRequest: masking.request,
        };
        // An approval binds the exact body: one that ends on its headers must be the empty body approved.
        const approved = context.approved_body_sha256;
        if (approved !== '' && m.endOfStream && EMPTY_BODY_SHA256 !== approved) return refuse('approval_body_mismatch', context.request_id);
        const keys = planKeyInjection(connection, method, rawPath);
        const route = routeFor(connection.site, method, rawPath);
        const set: (readonly [string, string])[] = [...keys.set, [CLUSTER_HEADER, route.cluster]];
        if (keys.path !== null) set.push([':path', keys.path]);
        return {
          kind: 'continue',
          headers: { set, remove: [...keys.remove, ...headersWithNewFormatKeys(m.headers)] },
          clearRouteCache: true,
          // Any body, whatever the method: a DELETE or GET with a body is masked and audited too.
          // An approved body is checked whole, masking or not.
          bufferRequestBody: (masking.request || approved !== '' || budgetBody) && !m.endOfStream,
          // Any class may echo a secret or a key in its response.
          bufferResponseBody: masking.response,
        };
      },

      async requestBody(m: BodyMessage): Promise<PhaseAnswer> {
        if (!state) return refuse('context_missing', undefined);
        const approved = state.context.approved_body_sha256;
        if (approved !== '') {
          const sha = sha256Hex(m.body);
          if (sha !== approved) {
            await deps.audit.record(payloadEvent(state, { direction: 'request', contentType: state.requestContentType, encoding: state.requestEncoding, sha256: sha, code: 'approval_body_mismatch' })).catch(() => undefined);
            logBody(state, 'request', [], 'approval_body_mismatch');
            return refuse('approval_body_mismatch', state.context.request_id);
          }
          if (!state.maskRequest && !state.budgetBody) return PASS;
        }
        let budget: BodyVerdict | null = null;
        // A masked metric submission: masked first, and its series read from that same pass.
        let premasked: MaskedStep | null = null;
        if (state.budgetBody && deps.budgets) {
          let read: MaskingReading | undefined;
          if (state.maskRequest && m.body.length > 0 && deps.budgets.readsFromMasking(state.method, state.path, state.requestContentType)) {
            const step = await maskStep(state, 'request', m.body, true);
            if (step.kind === 'refused') return step.answer;
            premasked = step;
            if (step.masked.series) read = { decodedBytes: step.masked.decodedBytes, submission: step.masked.series };
          }
          try {
            budget = await deps.budgets.checkBody(state.runtime.config, callerOf(state.context), { method: state.method, path: state.path, contentType: state.requestContentType, encoding: state.requestEncoding, raw: m.body }, state.runtime.codec, read, redactorFor(state));
          } catch (e) {
            const code: ErrorCode = isKeywardError(e) ? e.code : 'internal_error';
            if (!isKeywardError(e)) deps.log.error({ request_id: state.context.request_id, err_name: e instanceof Error ? e.name : typeof e }, 'budget check crashed');
            await deps.audit.record(payloadEvent(state, { direction: 'request', contentType: state.requestContentType, encoding: state.requestEncoding, sha256: sha256Hex(m.body), code })).catch(() => undefined);
            logBody(state, 'request', [], code);
            return refuse(code, state.context.request_id, isKeywardError(e) ? e.extras : undefined);
          }
        }
        const body = budget?.body ?? m.body;
        if (!state.maskRequest) return budgetOnly(state, body, budget);
        // Series dropped: the body forwarded is another one, masked afresh.
        return maskAndAudit(state, 'request', body, budget, budget?.body ? null : premasked);
      },

      async responseHeaders(m: HeadersMessage): Promise<PhaseAnswer> {
        if (!state) return PASS;
        state.upstreamStatus = Number(m.headers.get(':status') ?? 0) || null;
        state.responseContentType = m.headers.get('content-type');
        state.responseEncoding = m.headers.get('content-encoding');
        const remove = RESPONSE_HEADERS_TO_STRIP.filter((h) => m.headers.has(h));
        return { kind: 'continue', headers: { set: [[REQUEST_ID_HEADER, state.context.request_id]], remove } };
      },

      async responseBody(m: BodyMessage): Promise<PhaseAnswer> {
        if (!state) return PASS;
        return maskAndAudit(state, 'response', m.body);
      },
    };

    /** Budgets read the body but masking is off for this rule: forward it (rewritten in drop mode), audit what was dropped. */
    async function budgetOnly(s: StreamState, body: Buffer, budget: BodyVerdict | null): Promise<PhaseAnswer> {
      if (!budget || (budget.body === null && budget.findings.length === 0)) return PASS;
      try {
        await deps.audit.record(payloadEvent(s, { direction: 'request', contentType: s.requestContentType, encoding: s.requestEncoding, sha256: sha256Hex(body), findings: budget.findings }));
      } catch {
        return refuse('audit_unavailable', s.context.request_id);
      }
      logBody(s, 'request', budget.findings, null);
      if (budget.body === null) return PASS;
      return { kind: 'continue', body: budget.body, headers: { set: [['content-length', String(budget.body.length)]], remove: [] } };
    }

    /** Masks a text the audit row names (a dropped series' metric) as the body's masking would, the connection's keys included. */
    function redactorFor(s: StreamState): (text: string) => string {
      // Called only for a dropped or new series: nothing is looked up for the bodies that have none.
      return (text) => scrubLiterals(s.runtime.maskingFor(s.context.rule).masker.maskText(text).text, connectionKeys(s.connection)).text;
    }

    /** Masks a body (on the pool when there is one); a refusal is audited and answered here. */
    async function maskStep(s: StreamState, direction: 'request' | 'response', raw: Buffer, readSeries = false): Promise<MaskedStep | { kind: 'refused'; answer: PhaseAnswer }> {
      const started = now();
      const contentType = direction === 'request' ? s.requestContentType : s.responseContentType;
      const encoding = direction === 'request' ? s.requestEncoding : s.responseEncoding;
      const literals = connectionKeys(s.connection);
      try {
        const masking = s.runtime.maskingFor(s.context.rule);
        const route = { method: s.method, path: s.path };
        const auditHandles = s.runtime.config.masking.functional_fields.audit;
        const masked = deps.maskPool
          ? await deps.maskPool.mask({ raw, contentType, encoding, literals, identity: `${s.context.issuer} ${s.context.subject}`, masker: masking.masker, codec: s.runtime.codec, options: masking.options, limits: codecLimits(s.runtime), route, auditHandles, readSeries })
          : await maskInline(raw, contentType, encoding, { masker: masking.masker, codec: s.runtime.codec, literals, route, auditHandles }, readSeries);
        return { kind: 'masked', masked, maskMs: now() - started };
      } catch (e) {
        const code: ErrorCode = isKeywardError(e) ? e.code : 'internal_error';
        if (!isKeywardError(e)) deps.log.error({ request_id: s.context.request_id, err_name: e instanceof Error ? e.name : typeof e }, 'masking crashed');
        await deps.audit.record(payloadEvent(s, { direction, contentType, encoding, sha256: sha256Hex(raw), code, latencyMs: now() - started })).catch(() => undefined);
        logBody(s, direction, [], code);
        return { kind: 'refused', answer: refuse(code, s.context.request_id) };
      }
    }

    async function maskAndAudit(s: StreamState, direction: 'request' | 'response', raw: Buffer, budget: BodyVerdict | null = null, premasked: MaskedStep | null = null): Promise<PhaseAnswer> {
      // Envoy sends an empty body message for a body that was announced but carried no bytes (chunked,
      // or an empty DATA frame): nothing to mask or record, and no encoding to decode.
      if (raw.length === 0) return PASS;
      const contentType = direction === 'request' ? s.requestContentType : s.responseContentType;
      const encoding = direction === 'request' ? s.requestEncoding : s.responseEncoding;
      const step = premasked ?? (await maskStep(s, direction, raw));
      if (step.kind === 'refused') return step.answer;
      const { masked, maskMs } = step;
      try {
        await deps.audit.record(payloadEvent(s, { direction, contentType, encoding, sha256: masked.rawSha256, masked: masked.maskedText, maskedJson: masked.maskedJson, findings: budget ? [...masked.findings, ...budget.findings] : masked.findings, latencyMs: maskMs }));
      } catch {
        // A request body is never forwarded unaudited. A response comes from a call Datadog has already
        // taken: answering 503 would make the agent retry a call that happened, so the (masked)
        // response goes back and the missing row is logged.
        if (direction === 'request') return refuse('audit_unavailable', s.context.request_id);
        deps.log.error({ request_id: s.context.request_id, code: 'audit_unavailable', direction }, 'response payload not audited: audit store unavailable');
      }
      logBody(s, direction, masked.findings, null);
      for (const f of masked.findings) deps.metrics?.maskFindings.inc({ type: f.type, direction }, f.count);
      if (masked.changed) deps.metrics?.bytesMasked.inc({ direction }, raw.length);
      if (!masked.changed && !budget?.body) return PASS;
      return { kind: 'continue', body: masked.wire, headers: { set: [['content-length', String(masked.wire.length)]], remove: [] } };
    }

    function logBody(s: StreamState, direction: string, findings: readonly FindingSummary[], code: ErrorCode | null) {
      deps.log.info(
        { request_id: s.context.request_id, subject: s.context.subject, connection: s.connection.name, direction, findings: findings.map((f) => ({ type: f.type, count: f.count })), code: code ?? undefined },
        'body',
      );
    }

    /**
     * A context that does not open this stream: refused with context_invalid and audited as a call
     * of its own (a fresh request id: the call rows of the checked request stay as they were), with
     * the identity the seal vouches for when it is valid, and the method/path the stream claimed.
     */
    async function refuseStream(reason: 'seal' | 'replayed' | 'other_request', context: CallContext | null, runtime: Runtime, method: string, rawPath: string): Promise<ImmediateAnswer> {
      const event = refusedStreamEvent(context, runtime, method, rawPath);
      deps.log.warn({ request_id: event.request_id, context_request_id: context?.request_id, subject: context?.subject, method, path: event.path, code: 'context_invalid', reason }, 'ext_proc refused a context');
      await deps.audit.record(event).catch(() => deps.log.warn({ request_id: event.request_id, code: 'context_invalid' }, 'refusal not audited: audit store unavailable'));
      return refuse('context_invalid', event.request_id, undefined, true);
    }

    function refuse(code: ErrorCode, requestId: string | undefined, extras?: RefusalExtras, logged = false): ImmediateAnswer {
      if (!logged) deps.log.warn({ request_id: requestId ?? requestIdOf(), code }, 'ext_proc refused the request');
      const headers: [string, string][] = [['content-type', 'application/json'], ...Object.entries(extras?.headers ?? {})];
      if (requestId) headers.push([REQUEST_ID_HEADER, requestId]);
      return { kind: 'immediate', status: ERRORS[code].http, headers, body: errorBody(code, requestId, extras), details: code };
    }
  };
}

const codecLimits = (rt: Runtime) => ({ maxBodyBytes: rt.config.masking.max_body_bytes, maxRatio: rt.config.masking.max_ratio });

function callerOf(c: CallContext): BudgetCaller {
  return { issuer: c.issuer, subject: c.subject, groups: scopedGroups(c), connection: c.connection, operationClass: c.operation_class };
}

/** What one direction's body left in the audit; everything else comes from the stream's state. */
interface PayloadOutcome {
  readonly direction: 'request' | 'response';
  readonly contentType: string | undefined;
  readonly encoding: string | undefined;
  readonly sha256: string;
  readonly masked?: string | null;
  readonly maskedJson?: Uint8Array | undefined;
  readonly findings?: readonly FindingSummary[];
  readonly code?: ErrorCode | null;
  readonly latencyMs?: number;
}

function payloadEvent(s: StreamState, o: PayloadOutcome): PayloadEvent {
  return {
    kind: 'payload',
    time: new Date(),
    request_id: s.context.request_id,
    direction: o.direction,
    content_type: o.contentType ?? null,
    content_encoding: o.encoding ?? null,
    body_sha256: o.sha256,
    masked_body: o.masked ?? null,
    ...(o.maskedJson ? { masked_body_json: o.maskedJson } : {}),
    findings: o.findings ?? [],
    upstream_status: o.direction === 'response' ? s.upstreamStatus : null,
    reason_code: o.code ?? null,
    latency_ms: Math.round((o.latencyMs ?? 0) * 1000) / 1000,
  };
}

export type ProcessorFactory = ReturnType<typeof createProcessorFactory>;
