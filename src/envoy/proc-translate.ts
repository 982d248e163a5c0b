import type { Metadata__Output } from '../../proto/gen/envoy/config/core/v3/Metadata.js';
import type { HeaderMap__Output } from '../../proto/gen/envoy/config/core/v3/HeaderMap.js';
import type { HeaderValueOption } from '../../proto/gen/envoy/config/core/v3/HeaderValueOption.js';
import type { ProcessingResponse } from '../../proto/gen/envoy/service/ext_proc/v3/ProcessingResponse.js';
import type { CommonResponse } from '../../proto/gen/envoy/service/ext_proc/v3/CommonResponse.js';
import type { StatusCode } from '../../proto/gen/envoy/type/v3/StatusCode.js';
import type { HeaderEdits, HeadersMessage, PhaseAnswer } from '../proc/types.js';
import { readCallContext } from './call-context.js';
import { headerValueText, type ProcPhase } from './contract.js';
import { fromStruct, type Plain } from './struct.js';

export function headersFromMap(map: HeaderMap__Output | null | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const h of map?.headers ?? []) {
    const value = headerValueText(h);
    const key = h.key.toLowerCase();
    const prev = out.get(key);
    out.set(key, prev === undefined ? value : `${prev},${value}`);
  }
  return out;
}

export function metadataFrom(m: Metadata__Output | null | undefined): Record<string, { [key: string]: Plain }> {
  const out: Record<string, { [key: string]: Plain }> = {};
  for (const [ns, struct] of Object.entries(m?.filter_metadata ?? {})) out[ns] = fromStruct(struct);
  return out;
}

/** A headers message as the processor reads it: plain headers, and the call context read from the forwarded metadata. */
export function headersMessage(map: HeaderMap__Output | null | undefined, endOfStream: boolean, metadata: Readonly<Record<string, { readonly [key: string]: Plain }>>): HeadersMessage {
  return { headers: headersFromMap(map), endOfStream, context: readCallContext(metadata) };
}

const overwrite = (key: string, value: string): HeaderValueOption => ({ header: { key, raw_value: Buffer.from(value, 'utf8') }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' });

function headerMutation(edits: HeaderEdits | undefined) {
  if (!edits || (edits.set.length === 0 && edits.remove.length === 0)) return null;
  return { set_headers: edits.set.map(([k, v]) => overwrite(k, v)), remove_headers: [...edits.remove] };
}

/** A processor answer → the one ProcessingResponse Envoy expects for this phase. Pure. */
export function responseFor(phase: ProcPhase, answer: PhaseAnswer): ProcessingResponse {
  if (answer.kind === 'immediate') {
    return {
      immediate_response: {
        status: { code: answer.status as StatusCode },
        headers: { set_headers: answer.headers.map(([k, v]) => overwrite(k, v)) },
        body: Buffer.from(answer.body, 'utf8'),
        details: answer.details,
      },
    };
  }
  const isHeaders = phase === 'request_headers' || phase === 'response_headers';
  const common: CommonResponse = {
    status: isHeaders && answer.body !== undefined ? 'CONTINUE_AND_REPLACE' : 'CONTINUE',
    header_mutation: headerMutation(answer.headers),
    ...(answer.body !== undefined ? { body_mutation: { body: answer.body } } : {}),
    ...(answer.clearRouteCache ? { clear_route_cache: true } : {}),
  };
  if (phase === 'request_trailers' || phase === 'response_trailers') return { [phase]: { header_mutation: common.header_mutation } };
  const response: ProcessingResponse = { [phase]: { response: common } };
  if (phase === 'request_headers' && (answer.bufferRequestBody !== undefined || answer.bufferResponseBody !== undefined)) {
    response.mode_override = {
      request_header_mode: 'SEND',
      response_header_mode: 'SEND',
      request_body_mode: answer.bufferRequestBody ? 'BUFFERED' : 'NONE',
      response_body_mode: answer.bufferResponseBody ? 'BUFFERED' : 'NONE',
      request_trailer_mode: 'SKIP',
      response_trailer_mode: 'SKIP',
    };
  }
  return response;
}
