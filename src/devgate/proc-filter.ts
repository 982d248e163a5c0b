import type { CommonResponse__Output } from '../envoy/generated/envoy/service/ext_proc/v3/CommonResponse.js';
import type { ProcessingResponse__Output } from '../envoy/generated/envoy/service/ext_proc/v3/ProcessingResponse.js';
import type { Metadata } from '../envoy/generated/envoy/config/core/v3/Metadata.js';
import { toStruct } from '../envoy/struct.js';
import { statusNumber, reply, type HttpRequestState, type LocalReply } from './authz-filter.js';
import { applySetHeaders, removeHeaders, toHeaderMap, type HeaderSet } from './headers.js';
import type { BodyMode, ExtProcOptions, HeaderMode, ProcessingModeOptions } from './options.js';
import type { ExchangeResult, Phase, ProcStream } from './proc-stream.js';

/** What one phase of ext_proc did to the message it was shown. */
export interface PhaseOutcome {
  reply: LocalReply | null;
  /** The body was replaced (CONTINUE_AND_REPLACE or a body response). */
  bodyReplaced: boolean;
  clearRouteCache: boolean;
}

export function forwardedMetadata(options: ExtProcOptions, req: HttpRequestState): Metadata {
  const filter_metadata: Metadata['filter_metadata'] = {};
  for (const ns of options.forwardingNamespaces) {
    const data = req.metadata[ns];
    if (data) filter_metadata[ns] = toStruct(data);
  }
  return { filter_metadata };
}

/** Failure handling as Envoy's ext_proc filter does it with failure_mode_allow false. */
function failureReply(result: Extract<ExchangeResult, { kind: 'failed' }>): LocalReply {
  return result.reason === 'timeout' ? reply(504, 'ext_proc_per_message_timeout_exceeded', '') : reply(500, `ext_proc_error_${result.reason}`, '');
}

export function immediateReply(res: ProcessingResponse__Output): LocalReply {
  const ir = res.immediate_response!;
  const status = ir.status?.code ? statusNumber(ir.status.code) : 200;
  const out = reply(status < 200 ? 200 : status, ir.details || 'ext_proc_immediate_response', Buffer.from(ir.body ?? ''));
  out.headers.delete('content-type');
  applySetHeaders(out.headers, ir.headers?.set_headers, 'overwrite');
  removeHeaders(out.headers, ir.headers?.remove_headers);
  return out;
}

/** Applies a CommonResponse to a header set and body holder; returns whether the body changed. */
function applyCommon(common: CommonResponse__Output | null, headers: HeaderSet, body: { value: Buffer }, isHeadersPhase: boolean): { bodyReplaced: boolean; clearRouteCache: boolean } {
  if (!common) return { bodyReplaced: false, clearRouteCache: false };
  applySetHeaders(headers, common.header_mutation?.set_headers, 'overwrite');
  removeHeaders(headers, common.header_mutation?.remove_headers);
  let bodyReplaced = false;
  const mutation = common.body_mutation;
  // In a headers response a body mutation only counts with CONTINUE_AND_REPLACE.
  const bodyAllowed = !isHeadersPhase || common.status === 'CONTINUE_AND_REPLACE';
  if (mutation && bodyAllowed) {
    if (mutation.mutation === 'body') {
      body.value = Buffer.from(mutation.body ?? '');
      bodyReplaced = true;
    } else if (mutation.mutation === 'clear_body' && mutation.clear_body) {
      body.value = Buffer.alloc(0);
      bodyReplaced = true;
    }
  }
  return { bodyReplaced: bodyReplaced || (isHeadersPhase && common.status === 'CONTINUE_AND_REPLACE'), clearRouteCache: Boolean(common.clear_route_cache) };
}

/**
 * Runs one phase: sends the message, waits for its answer, applies it. `mode` is mutated in place
 * when the processor overrides the processing mode from a headers response (allow_mode_override).
 */
export async function runPhase(
  stream: ProcStream,
  options: ExtProcOptions,
  phase: Phase,
  headers: HeaderSet,
  body: { value: Buffer },
  pseudo: Record<string, string>,
  metadata: Metadata,
  mode: ProcessingModeOptions,
): Promise<PhaseOutcome> {
  const isHeaders = phase === 'request_headers' || phase === 'response_headers';
  const message = isHeaders
    ? { [phase]: { headers: toHeaderMap(headers, pseudo), end_of_stream: body.value.length === 0 }, metadata_context: metadata }
    : { [phase]: { body: body.value, end_of_stream: true }, metadata_context: metadata };
  const result = await stream.exchange(phase, message);
  if (result.kind === 'closed') return { reply: null, bodyReplaced: false, clearRouteCache: false };
  if (result.kind === 'failed') return { reply: options.failureModeAllow ? null : failureReply(result), bodyReplaced: false, clearRouteCache: false };
  if (result.kind === 'immediate') return { reply: immediateReply(result.response), bodyReplaced: false, clearRouteCache: false };
  const res = result.response;
  const common = (res[phase] as { response: CommonResponse__Output | null } | null)?.response ?? null;
  const applied = applyCommon(common, headers, body, isHeaders);
  if (isHeaders && options.allowModeOverride && res.mode_override) {
    const o = res.mode_override;
    if (o.request_body_mode && phase === 'request_headers') mode.request_body_mode = o.request_body_mode as BodyMode;
    if (o.response_body_mode) mode.response_body_mode = o.response_body_mode as BodyMode;
    if (o.response_header_mode && o.response_header_mode !== 'DEFAULT' && phase === 'request_headers') mode.response_header_mode = o.response_header_mode as HeaderMode;
  }
  return { reply: null, ...applied };
}
