import * as grpc from '@grpc/grpc-js';
import type { StreamLimits } from './stream-limits.js';
import type { Logger } from 'pino';
import { errorBody } from '../errors.js';
import type { ProcessorFactory } from '../proc/processor.js';
import type { PhaseAnswer, StreamProcessor } from '../proc/types.js';
import type { ExternalProcessorHandlers } from '../../proto/gen/envoy/service/ext_proc/v3/ExternalProcessor.js';
import type { ProcessingRequest__Output } from '../../proto/gen/envoy/service/ext_proc/v3/ProcessingRequest.js';
import { envoyProtos } from './protos.js';
import type { Metrics } from '../telemetry/metrics.js';
import type { ProcStreamSpan, Tracing } from '../telemetry/tracing.js';
import { headersFromMap, headersMessage, metadataFrom, responseFor } from './proc-translate.js';
import { PROC_SERVICE_NAME, type ProcPhase } from './contract.js';


/** The decoded body is already a Buffer over this message's own bytes: a view, not another copy of up to max_body_bytes. */
const bodyOf = (b: Uint8Array | undefined): Buffer => (b === undefined ? Buffer.alloc(0) : Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength));

const INTERNAL: PhaseAnswer = { kind: 'immediate', status: 500, headers: [['content-type', 'application/json']], body: errorBody('internal_error'), details: 'internal_error' };

async function dispatch(p: StreamProcessor, phase: ProcPhase, req: ProcessingRequest__Output, metadata: ReturnType<typeof metadataFrom>): Promise<PhaseAnswer> {
  switch (phase) {
    case 'request_headers':
      return p.requestHeaders(headersMessage(req.request_headers?.headers, Boolean(req.request_headers?.end_of_stream), metadata));
    case 'response_headers':
      return p.responseHeaders(headersMessage(req.response_headers?.headers, Boolean(req.response_headers?.end_of_stream), metadata));
    case 'request_body':
      return p.requestBody({ body: bodyOf(req.request_body?.body), endOfStream: Boolean(req.request_body?.end_of_stream) });
    case 'response_body':
      return p.responseBody({ body: bodyOf(req.response_body?.body), endOfStream: Boolean(req.response_body?.end_of_stream) });
    default:
      return { kind: 'continue' };
  }
}

export interface StreamPolicy {
  readonly limits: StreamLimits;
  /** A stream with no message for this long is closed (listen.streams.idle_timeout). */
  idleMs(): number;
}

/**
 * The ext_proc gRPC service: one processor per stream, messages handled strictly in order, exactly
 * one response per message. The metadata context arrives with the first message and is kept.
 * A stream refused with an immediate response (no valid context, among others) is closed at once;
 * streams are capped per connection and in total, and closed when idle.
 */
export function externalProcessorService(newStream: ProcessorFactory, log: Logger, telemetry: { metrics?: Metrics; tracing?: Tracing } = {}, streams?: StreamPolicy) {
  const handlers: ExternalProcessorHandlers = {
    Process(call) {
      const peer = call.getPeer();
      const slot = streams ? streams.limits.acquire(peer) : 'ok';
      if (slot !== 'ok') {
        const code = slot === 'total' ? 'stream_limit_total' : 'stream_limit_connection';
        log.warn({ code, peer }, 'ext_proc stream refused: too many concurrent streams');
        call.emit('error', { code: grpc.status.RESOURCE_EXHAUSTED, details: code });
        return;
      }
      let released = false;
      let idle: NodeJS.Timeout | undefined;
      const release = () => {
        if (released) return;
        released = true;
        clearTimeout(idle);
        streams?.limits.release(peer);
      };
      const armIdle = () => {
        if (!streams || released) return;
        clearTimeout(idle);
        idle = setTimeout(() => {
          reset = true;
          release();
          log.info({ code: 'stream_idle', peer }, 'ext_proc stream closed: idle');
          call.emit('error', { code: grpc.status.DEADLINE_EXCEEDED, details: 'stream_idle' });
        }, streams.idleMs());
        idle.unref();
      };
      armIdle();
      call.on('close', release);
      call.on('finish', release);
      const processor = newStream();
      let span: ProcStreamSpan | undefined;
      let metadata: ReturnType<typeof metadataFrom> = {};
      let queue: Promise<void> = Promise.resolve();
      // Envoy (or a client) may half-close right after its last message: everything received is
      // still answered. Only a reset or an error stops answering.
      let reset = false;
      let ended = false;
      call.on('data', (req: ProcessingRequest__Output) => {
        armIdle();
        queue = queue.then(async () => {
          const phase = req.request;
          if (!phase || reset) return;
          if (req.metadata_context) {
            const incoming = metadataFrom(req.metadata_context);
            if (Object.keys(incoming).length > 0) metadata = incoming;
          }
          if (phase === 'request_headers' && telemetry.tracing?.enabled) {
            const headers = headersFromMap(req.request_headers?.headers);
            span = telemetry.tracing.startProcSpan(headers.get('traceparent'), {});
          }
          const timer = telemetry.metrics?.procLatency.startTimer({ phase });
          const started = performance.now();
          let answer: PhaseAnswer;
          try {
            answer = await dispatch(processor, phase, req, metadata);
          } catch (e) {
            log.error({ err_name: e instanceof Error ? e.name : typeof e, phase }, 'ext_proc phase crashed');
            answer = INTERNAL;
          }
          timer?.();
          span?.phase(phase, { duration_ms: performance.now() - started, ...(answer.kind === 'immediate' ? { code: answer.details } : {}) });
          if (reset || call.cancelled) return;
          call.write(responseFor(phase, answer));
          // Envoy sends nothing after an immediate response: the stream is over. A caller that keeps
          // writing (no valid context) gets the stream closed under it rather than held open.
          if (answer.kind === 'immediate') {
            span?.end();
            reset = true;
            ended = true;
            release();
            call.end();
          }
        });
      });
      call.on('end', () => {
        if (ended) return;
        ended = true;
        void queue.finally(() => {
          span?.end();
          release();
          if (!reset) call.end();
        });
      });
      call.on('error', () => {
        reset = true;
        release();
      });
      call.on('cancelled', () => {
        reset = true;
        release();
      });
    },
  };
  return {
    name: PROC_SERVICE_NAME,
    definition: envoyProtos().extProc.envoy.service.ext_proc.v3.ExternalProcessor.service,
    implementation: handlers as unknown as grpc.UntypedServiceImplementation,
  };
}
