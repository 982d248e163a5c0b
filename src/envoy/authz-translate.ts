import type { CheckOutcome, CheckInput } from '../authz/types.js';
import type { CheckRequest__Output } from './generated/envoy/service/auth/v3/CheckRequest.js';
import type { CheckResponse } from './generated/envoy/service/auth/v3/CheckResponse.js';
import type { HeaderValueOption } from './generated/envoy/config/core/v3/HeaderValueOption.js';
import type { StatusCode } from './generated/envoy/type/v3/StatusCode.js';
import { CONTEXT_KEY } from './metadata.js';
import { toStruct } from './struct.js';

/** Envoy CheckRequest → keyward's CheckInput. Pure. */
export function checkInputFromRequest(req: CheckRequest__Output): CheckInput {
  const http = req.attributes?.request?.http;
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(http?.headers ?? {})) headers[k.toLowerCase()] = v;
  // With encode_raw_headers Envoy sends header_map (values as raw bytes) instead of headers.
  for (const h of http?.header_map?.headers ?? []) {
    const value = h.raw_value && h.raw_value.length > 0 ? Buffer.from(h.raw_value).toString('utf8') : h.value;
    headers[h.key.toLowerCase()] = headers[h.key.toLowerCase()] === undefined ? value : `${headers[h.key.toLowerCase()]},${value}`;
  }
  let body: Buffer | null = null;
  if (http?.raw_body && http.raw_body.length > 0) body = Buffer.from(http.raw_body);
  else if (http?.body) body = Buffer.from(http.body, 'utf8');
  return {
    method: (http?.method || headers[':method'] || 'GET').toUpperCase(),
    path: http?.path || headers[':path'] || '/',
    headers,
    body,
    bodyPartial: headers['x-envoy-auth-partial-body'] === 'true',
  };
}

const overwrite = (key: string, value: string): HeaderValueOption => ({ header: { key, value }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' });

/** keyward's outcome → Envoy CheckResponse. Pure. */
export function checkResponseFromOutcome(outcome: CheckOutcome): CheckResponse {
  if (outcome.kind === 'allow') {
    return {
      status: { code: 0, message: '' },
      ok_response: {
        headers_to_remove: [...outcome.headersToRemove],
        query_parameters_to_remove: [...outcome.queryParamsToRemove],
        response_headers_to_add: Object.entries(outcome.responseHeaders).map(([k, v]) => overwrite(k, v)),
      },
      dynamic_metadata: toStruct({ [CONTEXT_KEY]: { ...outcome.context, groups: [...outcome.context.groups] } }),
    };
  }
  return {
    status: { code: outcome.grpcStatus, message: outcome.code },
    denied_response: {
      status: { code: outcome.httpStatus as StatusCode },
      headers: Object.entries(outcome.headers).map(([k, v]) => overwrite(k, v)),
      body: outcome.body,
    },
  };
}
