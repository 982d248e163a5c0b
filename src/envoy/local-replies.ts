import { errorBody, type ErrorCode } from '../errors.js';

/**
 * Replies Envoy itself sends when keyward cannot decide: envoy.yaml's local_reply_config rewrites
 * ext_authz and ext_proc failures, and its catch-all `unrouted` route answers a request ext_proc gave
 * no Datadog cluster. src/envoy/bootstrap.ts renders them into envoy.yaml; the dev front door
 * reproduces them, so agents see the same refusal in tests as behind Envoy.
 */
export const LOCAL_REPLY_CODE = 'gate_unavailable' satisfies ErrorCode;
export const LOCAL_REPLY_STATUS = 503;

/** Response code details of the filters' own failures (ext_authz.cc; ext_proc.cc ErrorPrefix). */
export const FILTER_FAILURE_DETAILS = ['ext_authz_error', 'ext_proc_error'] as const;

/** The JSON body; behind Envoy `requestId` is its x-request-id. */
export function localReplyBody(requestId?: string): string {
  return errorBody(LOCAL_REPLY_CODE, requestId);
}

export function isFilterFailure(details: string): boolean {
  return FILTER_FAILURE_DETAILS.some((p) => details.startsWith(p));
}
