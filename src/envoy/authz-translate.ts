import type { CheckOutcome, CheckInput } from '../authz/types.js';
import type { CheckRequest__Output } from '../../proto/gen/envoy/service/auth/v3/CheckRequest.js';
import type { CheckResponse } from '../../proto/gen/envoy/service/auth/v3/CheckResponse.js';
import type { HeaderValueOption } from '../../proto/gen/envoy/config/core/v3/HeaderValueOption.js';
import type { StatusCode } from '../../proto/gen/envoy/type/v3/StatusCode.js';
import { CONTEXT_KEY, headerValueText } from './contract.js';
import { toStruct } from './struct.js';

/** Envoy CheckRequest → keyward's CheckInput. Pure. */
export function checkInputFromRequest(req: CheckRequest__Output): CheckInput {
  const http = req.attributes?.request?.http;
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(http?.headers ?? {})) headers[k.toLowerCase()] = v;
  // With encode_raw_headers Envoy sends header_map (values as raw bytes) instead of headers.
  for (const h of http?.header_map?.headers ?? []) {
    const value = headerValueText(h);
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
/** A budget's X-RateLimit headers never replace Datadog's own: on Datadog's 429 those say when to retry. */
const responseHeader = (key: string, value: string): HeaderValueOption => (key.startsWith('x-ratelimit-') ? { header: { key, value }, append_action: 'ADD_IF_ABSENT' } : overwrite(key, value));

/** keyward's outcome → Envoy CheckResponse. Pure. */
export function checkResponseFromOutcome(outcome: CheckOutcome): CheckResponse {
  if (outcome.kind === 'allow') {
    return {
      status: { code: 0, message: '' },
      ok_response: {
        headers_to_remove: [...outcome.headersToRemove],
        query_parameters_to_remove: [...outcome.queryParamsToRemove],
        response_headers_to_add: Object.entries(outcome.responseHeaders).map(([k, v]) => responseHeader(k, v)),
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
