import type { CommonResponse__Output } from '../proto/gen/envoy/service/ext_proc/v3/CommonResponse.js';
import type { ProcessingResponse__Output } from '../proto/gen/envoy/service/ext_proc/v3/ProcessingResponse.js';
import type { Metadata } from '../proto/gen/envoy/config/core/v3/Metadata.js';
import { toStruct } from '../src/envoy/struct.js';
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
  // The response code details ext_proc.cc gives them (envoy.yaml's local_reply_config matches on the prefix).
  return result.reason === 'timeout' ? reply(504, 'ext_proc_error_per-message_timeout_exceeded', '') : reply(500, `ext_proc_error_gRPC_error_${result.code ?? 2}`, '');
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

type Applied = { bodyReplaced: boolean; clearRouteCache: boolean } | { error: LocalReply };

/**
 * Applies a CommonResponse to a header set and body holder as Envoy's ProcessorState does: header
 * mutation first; in a headers response a body mutation counts only with CONTINUE_AND_REPLACE, which
 * also drops content-length (Envoy cannot trust the processor to have fixed it); in a body response a
 * body mutation whose length disagrees with a content-length still present is refused with a 500.
 */
function applyCommon(common: CommonResponse__Output | null, headers: HeaderSet, body: { value: Buffer }, isHeadersPhase: boolean): Applied {
  if (!common) return { bodyReplaced: false, clearRouteCache: false };
  applySetHeaders(headers, common.header_mutation?.set_headers, 'overwrite');
  removeHeaders(headers, common.header_mutation?.remove_headers);
  const replace = isHeadersPhase && common.status === 'CONTINUE_AND_REPLACE';
  const mutation = common.body_mutation;
  let next: Buffer | null = null;
  if (mutation && (!isHeadersPhase || replace)) {
    if (mutation.mutation === 'body') next = Buffer.from(mutation.body ?? '');
    else if (mutation.mutation === 'clear_body' && mutation.clear_body) next = Buffer.alloc(0);
  }
  if (next && replace) headers.delete('content-length');
  if (next && !isHeadersPhase) {
    const declared = headers.get('content-length');
    const mutatedLength = mutation?.mutation === 'body' ? next.length : 0;
    if (declared !== undefined && /^\d+$/.test(declared) && Number(declared) !== mutatedLength) {
      return { error: reply(500, 'mismatch_between_content_length_and_the_length_of_the_mutated_body', '') };
    }
  }
  if (next) body.value = next;
  return { bodyReplaced: next !== null || replace, clearRouteCache: Boolean(common.clear_route_cache) };
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
  // Envoy takes mode_override (a whole ProcessingMode: unset fields are NONE/DEFAULT) only while
  // waiting for a headers response, before it looks at the response itself.
  if (isHeaders && options.allowModeOverride && res.mode_override) {
    const o = res.mode_override;
    if (phase === 'request_headers') mode.request_body_mode = (o.request_body_mode || 'NONE') as BodyMode;
    mode.response_body_mode = (o.response_body_mode || 'NONE') as BodyMode;
    if (phase === 'request_headers') mode.response_header_mode = (o.response_header_mode === 'SKIP' ? 'SKIP' : 'SEND') as HeaderMode;
  }
  const applied = applyCommon(common, headers, body, isHeaders);
  if ('error' in applied) return { reply: applied.error, bodyReplaced: false, clearRouteCache: false };
  return { reply: null, ...applied };
}
