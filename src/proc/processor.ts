import type { Logger } from 'pino';
import type { AuditSink, FindingSummary, PayloadEvent } from '../audit/events.js';
import type { CallContext } from '../authz/types.js';
import type { ConnectionConfig } from '../config/schema.js';
import { CLUSTER_HEADER } from '../config/sites.js';
import { ERRORS, errorBody, isKeywardError, type ErrorCode } from '../errors.js';
import { connectionKeys, planKeyInjection } from '../inject/keys.js';
import { routeFor } from '../inject/routing.js';
import type { Runtime } from '../runtime.js';
import type { Metrics } from '../telemetry/metrics.js';
import { maskBody, sha256Hex } from './body.js';
import { readCallContext } from './context.js';
import { verifySeal } from '../authz/context-seal.js';
import { REQUEST_ID_HEADER } from '../authz/check.js';
import { PASS, type BodyMessage, type HeadersMessage, type ImmediateAnswer, type PhaseAnswer, type StreamProcessor } from './types.js';

/** Response headers that could identify or echo a key; never returned to the agent. */
const RESPONSE_HEADERS_TO_STRIP = ['dd-api-key', 'dd-application-key', 'x-datadog-api-key', 'x-datadog-application-key', 'set-cookie'];
const EMPTY_BODY_SHA256 = sha256Hex(Buffer.alloc(0));


export interface ProcessorDeps {
  readonly runtime: () => Runtime;
  /** Keys a context may be sealed with: the current config's, and the previous one's during a reload. */
  readonly contextKeys?: () => readonly Buffer[];
  readonly audit: AuditSink;
  readonly log: Logger;
  readonly metrics?: Metrics;
  readonly now?: () => number;
}

interface StreamState {
  context: CallContext;
  /** The connection as it was when the stream started: a key rotation mid-stream does not apply to it. */
  connection: ConnectionConfig;
  runtime: Runtime;
  method: string;
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

  return function newStream(): StreamProcessor {
    let state: StreamState | null = null;
    const requestIdOf = () => state?.context.request_id;

    return {
      async requestHeaders(m: HeadersMessage): Promise<PhaseAnswer> {
        const context = readCallContext(m.metadata);
        if (!context) return refuse('context_missing', undefined);
        const runtime = deps.runtime();
        // Only a context ext_authz sealed (after its audit row committed) may unlock a key.
        if (!verifySeal(context, context.expires_at, context.seal, deps.contextKeys?.() ?? [runtime.contextKey])) return refuse('context_invalid', context.request_id);
        const connection = runtime.config.connections.find((c) => c.name === context.connection);
        if (!connection) return refuse('connection_unknown', context.request_id);
        const method = (m.headers.get(':method') ?? 'GET').toUpperCase();
        const rawPath = m.headers.get(':path') ?? '/';
        const masking = runtime.maskingFor(context.rule);
        state = {
          context,
          connection,
          runtime,
          method,
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
          headers: { set, remove: keys.remove },
          clearRouteCache: true,
          // Any body, whatever the method: a DELETE or GET with a body is masked and audited too.
          // An approved body is checked whole, masking or not.
          bufferRequestBody: (masking.request || approved !== '') && !m.endOfStream,
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
            await deps.audit.record(payloadEvent(state, 'request', state.requestContentType, state.requestEncoding, sha, null, [], 'approval_body_mismatch', 0)).catch(() => undefined);
            logBody(state, 'request', [], 'approval_body_mismatch');
            return refuse('approval_body_mismatch', state.context.request_id);
          }
          if (!state.maskRequest) return PASS;
        }
        return maskAndAudit(state, 'request', m.body);
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

    async function maskAndAudit(s: StreamState, direction: 'request' | 'response', raw: Buffer): Promise<PhaseAnswer> {
      // Envoy sends an empty body message for a body that was announced but carried no bytes (chunked,
      // or an empty DATA frame): nothing to mask or record, and no encoding to decode.
      if (raw.length === 0) return PASS;
      const started = now();
      const contentType = direction === 'request' ? s.requestContentType : s.responseContentType;
      const encoding = direction === 'request' ? s.requestEncoding : s.responseEncoding;
      const literals = connectionKeys(s.connection);
      let masked;
      try {
        masked = await maskBody(raw, contentType, encoding, { masker: s.runtime.maskingFor(s.context.rule).masker, codec: s.runtime.codec, literals });
      } catch (e) {
        const code: ErrorCode = isKeywardError(e) ? e.code : 'internal_error';
        if (!isKeywardError(e)) deps.log.error({ request_id: s.context.request_id, err_name: e instanceof Error ? e.name : typeof e }, 'masking crashed');
        await deps.audit.record(payloadEvent(s, direction, contentType, encoding, sha256Hex(raw), null, [], code, now() - started)).catch(() => undefined);
        logBody(s, direction, [], code);
        return refuse(code, s.context.request_id);
      }
      try {
        await deps.audit.record(payloadEvent(s, direction, contentType, encoding, masked.rawSha256, masked.maskedText, masked.findings, null, now() - started));
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
      if (!masked.changed) return PASS;
      return { kind: 'continue', body: masked.wire, headers: { set: [['content-length', String(masked.wire.length)]], remove: [] } };
    }

    function logBody(s: StreamState, direction: string, findings: readonly FindingSummary[], code: ErrorCode | null) {
      deps.log.info(
        { request_id: s.context.request_id, subject: s.context.subject, connection: s.connection.name, direction, findings: findings.map((f) => ({ type: f.type, count: f.count })), code: code ?? undefined },
        'body',
      );
    }

    function refuse(code: ErrorCode, requestId: string | undefined): ImmediateAnswer {
      deps.log.warn({ request_id: requestId ?? requestIdOf(), code }, 'ext_proc refused the request');
      const headers: [string, string][] = [['content-type', 'application/json']];
      if (requestId) headers.push([REQUEST_ID_HEADER, requestId]);
      return { kind: 'immediate', status: ERRORS[code].http, headers, body: errorBody(code, requestId), details: code };
    }
  };
}

function payloadEvent(s: StreamState, direction: 'request' | 'response', contentType: string | undefined, encoding: string | undefined, sha: string, masked: string | null, findings: readonly FindingSummary[], code: ErrorCode | null, latency: number): PayloadEvent {
  return {
    kind: 'payload',
    time: new Date(),
    request_id: s.context.request_id,
    direction,
    content_type: contentType ?? null,
    content_encoding: encoding ?? null,
    body_sha256: sha,
    masked_body: masked,
    findings,
    upstream_status: direction === 'response' ? s.upstreamStatus : null,
    reason_code: code,
    latency_ms: Math.round(latency * 1000) / 1000,
  };
}


export type ProcessorFactory = ReturnType<typeof createProcessorFactory>;
