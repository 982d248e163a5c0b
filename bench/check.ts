import type { ServerChild } from './lib/child.js';
import { CHECK_PATH, agentCheckRequest, encodeCheckRequest, grpcFrame } from './lib/frames.js';
import { compare, type BenchSettings, type Comparison } from './lib/scenario.js';
import { checkOnce } from './lib/verify.js';

export interface CheckFigures {
  request: string;
  peak: Comparison;
  paced: Comparison;
  keywardPeakRssMb: number;
  /** Audit rows committed during the runs (warm-up included) vs requests h2load completed. */
  auditedCalls: number;
  completedRequests: number;
}

/**
 * ext_authz Check with the full pipeline: a valid RS256 token (JWKS fetched once, then cached),
 * connection selection, classification, policy allow, audit row group-committed before the OK.
 */
export async function runCheckBench(settings: BenchSettings, floor: ServerChild, keyward: ServerChild): Promise<CheckFigures> {
  const request = agentCheckRequest(keyward.ready.token, 'GET', '/api/v1/validate');
  const answer = await checkOnce(keyward.ready.authz, request);
  if (answer.status?.code !== 0) throw new Error(`the bench Check is refused (${answer.status?.message ?? 'no status'}): fix the bench config first`);
  const body = grpcFrame(encodeCheckRequest(request));
  const urls = { floor: `http://${floor.ready.authz}${CHECK_PATH}`, keyward: `http://${keyward.ready.authz}${CHECK_PATH}` };
  const before = (await keyward.stats()).auditedCalls;
  const peak = await compare('check', settings, 'peak', urls, body, { floor, keyward });
  const paced = await compare('check', settings, 'paced', urls, body, { floor, keyward });
  const after = (await keyward.stats()).auditedCalls;
  return {
    request: 'GET /api/v1/validate, Bearer RS256 JWT, class read, rule allow',
    peak,
    paced,
    keywardPeakRssMb: Math.max(peak.keywardPeakRssMb, paced.keywardPeakRssMb),
    auditedCalls: after - before,
    completedRequests: peak.keyward.succeeded + paced.keyward.succeeded,
  };
}
