import type * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { errorBody } from '../errors.js';
import type { ProcessorFactory } from '../proc/processor.js';
import type { PhaseAnswer, StreamProcessor } from '../proc/types.js';
import type { ExternalProcessorHandlers } from './generated/envoy/service/ext_proc/v3/ExternalProcessor.js';
import type { ProcessingRequest__Output } from './generated/envoy/service/ext_proc/v3/ProcessingRequest.js';
import { envoyProtos } from './protos.js';
import type { Metrics } from '../telemetry/metrics.js';
import type { ProcStreamSpan, Tracing } from '../telemetry/tracing.js';
import { headersFromMap, metadataFrom, responseFor, type ProcPhase } from './proc-translate.js';

export const PROC_SERVICE_NAME = 'envoy.service.ext_proc.v3.ExternalProcessor';

const INTERNAL: PhaseAnswer = { kind: 'immediate', status: 500, headers: [['content-type', 'application/json']], body: errorBody('internal_error'), details: 'internal_error' };

async function dispatch(p: StreamProcessor, phase: ProcPhase, req: ProcessingRequest__Output, metadata: ReturnType<typeof metadataFrom>): Promise<PhaseAnswer> {
  switch (phase) {
    case 'request_headers':
      return p.requestHeaders({ headers: headersFromMap(req.request_headers?.headers), endOfStream: Boolean(req.request_headers?.end_of_stream), metadata });
    case 'response_headers':
      return p.responseHeaders({ headers: headersFromMap(req.response_headers?.headers), endOfStream: Boolean(req.response_headers?.end_of_stream), metadata });
    case 'request_body':
      return p.requestBody({ body: Buffer.from(req.request_body?.body ?? Buffer.alloc(0)), endOfStream: Boolean(req.request_body?.end_of_stream) });
    case 'response_body':
      return p.responseBody({ body: Buffer.from(req.response_body?.body ?? Buffer.alloc(0)), endOfStream: Boolean(req.response_body?.end_of_stream) });
    default:
      return { kind: 'continue' };
  }
}

/**
 * The ext_proc gRPC service: one processor per stream, messages handled strictly in order, exactly
 * one response per message. The metadata context arrives with the first message and is kept.
 */
export function externalProcessorService(newStream: ProcessorFactory, log: Logger, telemetry: { metrics?: Metrics; tracing?: Tracing } = {}) {
  const handlers: ExternalProcessorHandlers = {
    Process(call) {
      const processor = newStream();
      let span: ProcStreamSpan | undefined;
      let metadata: ReturnType<typeof metadataFrom> = {};
      let queue: Promise<void> = Promise.resolve();
      // Envoy (or a client) may half-close right after its last message: everything received is
      // still answered. Only a reset or an error stops answering.
      let reset = false;
      let ended = false;
      call.on('data', (req: ProcessingRequest__Output) => {
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
          if (!reset && !call.cancelled) call.write(responseFor(phase, answer));
        });
      });
      call.on('end', () => {
        if (ended) return;
        ended = true;
        void queue.finally(() => {
          span?.end();
          if (!reset) call.end();
        });
      });
      call.on('error', () => (reset = true));
      call.on('cancelled', () => (reset = true));
    },
  };
  return {
    name: PROC_SERVICE_NAME,
    definition: envoyProtos().extProc.envoy.service.ext_proc.v3.ExternalProcessor.service,
    implementation: handlers as unknown as grpc.UntypedServiceImplementation,
  };
}
