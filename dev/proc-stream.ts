import type * as grpc from '@grpc/grpc-js';
import { grpcChannel } from './upstream-tls.js';
import { envoyProtos } from '../src/envoy/protos.js';
import type { ExternalProcessorClient } from '../proto/gen/envoy/service/ext_proc/v3/ExternalProcessor.js';
import type { ProcessingRequest } from '../proto/gen/envoy/service/ext_proc/v3/ProcessingRequest.js';
import type { ProcessingResponse__Output } from '../proto/gen/envoy/service/ext_proc/v3/ProcessingResponse.js';
import type { ExtProcOptions } from './options.js';

export type Phase = 'request_headers' | 'request_body' | 'response_headers' | 'response_body';

export type ExchangeResult =
  | { kind: 'response'; response: ProcessingResponse__Output }
  | { kind: 'immediate'; response: ProcessingResponse__Output }
  /**
   * The processor closed the stream cleanly, or sent a message Envoy did not expect (a wrong kind, or
   * one nothing was waiting for): either way Envoy skips the remaining phases and the request goes on
   * (ext_proc.cc onReceiveMessage: a spurious message closes the stream whatever failure_mode_allow says).
   */
  | { kind: 'closed' }
  /** `code`: the gRPC status of a failed stream. */
  | { kind: 'failed'; reason: 'timeout' | 'grpc_error'; code?: number };

export function createProcClient(options: ExtProcOptions): ExternalProcessorClient {
  const Ctor = envoyProtos().extProc.envoy.service.ext_proc.v3.ExternalProcessor;
  const channel = grpcChannel(options.tls);
  return new Ctor(options.address, channel.credentials, channel.options);
}

/**
 * One ext_proc stream, as Envoy drives it: one message at a time, each answered by exactly one
 * response of the matching kind (or an immediate response) within the message timeout, which the
 * processor may extend up to max_message_timeout with a bare override_message_timeout.
 */
export function openProcStream(client: ExternalProcessorClient, options: ExtProcOptions) {
  const call = client.Process();
  let waiting: { phase: Phase; resolve: (r: ExchangeResult) => void; timer: NodeJS.Timeout; extended: boolean } | null = null;
  let broken: ExchangeResult | null = null;

  const abandon = () => {
    broken = { kind: 'closed' };
    settle(broken);
    call.cancel();
  };
  const settle = (result: ExchangeResult) => {
    if (!waiting) return;
    clearTimeout(waiting.timer);
    const w = waiting;
    waiting = null;
    w.resolve(result);
  };
  call.on('data', (res: ProcessingResponse__Output) => {
    if (!waiting) {
      abandon();
      return;
    }
    // A message carrying override_message_timeout is only that (Envoy returns before reading the
    // rest); the new timer runs from now, must be within [1 ms, max_message_timeout], and only the
    // first such message for a pending message counts.
    if (res.override_message_timeout) {
      const ms = Number(res.override_message_timeout.seconds ?? 0) * 1000 + Math.floor((res.override_message_timeout.nanos ?? 0) / 1e6);
      if (!waiting.extended && ms >= 1 && ms <= options.maxMessageTimeoutMs) {
        clearTimeout(waiting.timer);
        waiting.extended = true;
        waiting.timer = setTimeout(() => settle({ kind: 'failed', reason: 'timeout' }), ms);
      }
      return;
    }
    if (res.response === 'immediate_response') return settle({ kind: 'immediate', response: res });
    if (res.response !== waiting.phase) return abandon();
    settle({ kind: 'response', response: res });
  });
  call.on('error', (e: grpc.ServiceError) => {
    broken ??= { kind: 'failed', reason: 'grpc_error', code: e.code };
    settle(broken);
  });
  call.on('end', () => {
    broken ??= { kind: 'closed' };
    settle(broken);
  });

  return {
    exchange(phase: Phase, message: ProcessingRequest): Promise<ExchangeResult> {
      if (broken) return Promise.resolve(broken);
      return new Promise((resolve) => {
        waiting = { phase, resolve, extended: false, timer: setTimeout(() => settle({ kind: 'failed', reason: 'timeout' }), options.messageTimeoutMs) };
        call.write(message);
      });
    },
    close(): void {
      if (waiting) settle({ kind: 'closed' });
      call.end();
      // Envoy resets the stream once the request is done; the processor must cope.
      setImmediate(() => call.cancel());
    },
  };
}

export type ProcStream = ReturnType<typeof openProcStream>;
