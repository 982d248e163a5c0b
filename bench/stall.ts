import type { ServerChild } from './lib/child.js';
import { CHECK_PATH, agentCheckRequest, encodeCheckRequest, grpcFrame } from './lib/frames.js';
import { logsPayload } from './lib/payload.js';
import { h2loadFor, type BenchSettings } from './lib/scenario.js';
import type { H2loadResult } from './lib/h2load.js';
import { round } from './lib/stats.js';
import { processOnce } from './lib/verify.js';
import { bodyStreamMessages } from './proc.js';

export interface StallFigures {
  /** Paced Check alone, then the same load while `senders` agents each send 5 MiB bodies back to back. */
  alone: H2loadResult;
  withBodies: H2loadResult;
  /** withBodies p99 ÷ alone p99 (target ≤ 2). */
  p99Ratio: number;
  senders: number;
  bodyBytes: number;
  bodiesMasked: number;
  bodiesFailed: number;
  /** What the first failed body got (an immediate response's code, or the gRPC error). */
  firstFailure: string | null;
}

const SENDERS = 4;
// Just under masking.max_body_bytes (5 MiB): the largest body an agent may send.
const BODY_BYTES = 5 * 1024 * 1024 - 4096;

/**
 * Does a big body stall everyone else's Check? Check p99 at the paced rate alone, then while four
 * ext_proc streams carry 5 MiB logs bodies, one after another each, for the whole run.
 */
export async function runStallBench(settings: BenchSettings, keyward: ServerChild): Promise<StallFigures> {
  const check = grpcFrame(encodeCheckRequest(agentCheckRequest(keyward.ready.token, 'GET', '/api/v1/validate')));
  const url = `http://${keyward.ready.authz}${CHECK_PATH}`;
  const body = logsPayload(BODY_BYTES);

  const alone = await h2loadFor(settings, 'paced', url, check);
  let stop = false;
  let masked = 0;
  let failed = 0;
  let firstFailure: string | null = null;
  const fail = (why: string) => {
    failed++;
    firstFailure ??= why;
  };
  const sender = async () => {
    while (!stop) {
      try {
        // A sealed context opens one stream (issue 13): each body gets its own Check, as through Envoy.
        const answers = await processOnce(keyward.ready.proc!, await bodyStreamMessages(keyward, body), 60_000);
        if (answers[1]?.request_body?.response?.body_mutation) masked++;
        else fail(JSON.stringify(answers[1]?.immediate_response?.details ?? answers.map((a) => a.response)));
      } catch (e) {
        fail(e instanceof Error ? e.message : String(e));
      }
    }
  };
  const senders = Array.from({ length: SENDERS }, sender);
  const stopProfile = keyward.profile('stall-check');
  const withBodies = await h2loadFor(settings, 'paced', url, check);
  await stopProfile();
  stop = true;
  await Promise.all(senders);
  return { alone, withBodies, p99Ratio: round(withBodies.p99Ms / alone.p99Ms, 2), senders: SENDERS, bodyBytes: body.length, bodiesMasked: masked, bodiesFailed: failed, firstFailure };
}
