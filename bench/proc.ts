import { EXT_AUTHZ_NAMESPACE } from '../src/envoy/contract.js';
import type { ProcessingRequest } from '../proto/gen/envoy/service/ext_proc/v3/ProcessingRequest.js';
import type { Struct } from '../proto/gen/google/protobuf/Struct.js';
import type { ServerChild } from './lib/child.js';
import { PROCESS_PATH, agentCheckRequest, encodeProcessingRequest, grpcFrame } from './lib/frames.js';
import { logsPayload } from './lib/payload.js';
import { compare, type BenchSettings, type Comparison } from './lib/scenario.js';
import { checkOnce, processOnce } from './lib/verify.js';

export interface ProcFigures {
  headersOnly: { peak: Comparison; paced: Comparison };
  /** Buffered 64 KiB JSON logs body, masked and audited before it is forwarded. */
  body64k: { peak: Comparison; paced: Comparison; bodyBytes: number; pacedRps: number } | { skipped: string };
  keywardPeakRssMb: number;
}

const BODY_PACED_RPS = 200;

/** The call context ext_authz hands over, as Envoy forwards it: a real Check's dynamic_metadata. */
async function contextFor(keyward: ServerChild, method: string, path: string): Promise<Struct> {
  const res = await checkOnce(keyward.ready.authz, agentCheckRequest(keyward.ready.token, method, path));
  if (res.status?.code !== 0 || !res.dynamic_metadata) throw new Error(`the bench Check for ${method} ${path} is refused (${res.status?.message ?? ''})`);
  return res.dynamic_metadata as Struct;
}

const header = (key: string, value: string) => ({ key, raw_value: Buffer.from(value, 'utf8') });

function headersMessage(ctx: Struct, method: string, path: string, extra: [string, string][], endOfStream: boolean): ProcessingRequest {
  const headers = [[':authority', 'keyward.internal:8080'], [':method', method], [':path', path], [':scheme', 'http'], ['user-agent', 'datadog-api-client-typescript/1.0'], ...extra].map(([k, v]) => header(k!, v!));
  return {
    request_headers: { headers: { headers }, end_of_stream: endOfStream },
    metadata_context: { filter_metadata: { [EXT_AUTHZ_NAMESPACE]: ctx } },
  };
}

async function framesFor(keyward: ServerChild, messages: ProcessingRequest[], expectBodyMutation: boolean): Promise<Buffer> {
  const answers = await processOnce(keyward.ready.proc!, messages);
  if (answers.length !== messages.length || answers.some((a) => a.immediate_response)) {
    throw new Error(`keyward ext_proc did not process the bench stream: ${JSON.stringify(answers.map((a) => a.response))}`);
  }
  if (expectBodyMutation && !answers[1]?.request_body?.response?.body_mutation) throw new Error('the bench body was not masked');
  return Buffer.concat(messages.map((m) => grpcFrame(encodeProcessingRequest(m))));
}

/** The messages of one ext_proc stream carrying a buffered logs body, with a real Check's context. */
export async function bodyStreamMessages(keyward: ServerChild, body: Buffer): Promise<ProcessingRequest[]> {
  const logsCtx = await contextFor(keyward, 'POST', '/api/v2/logs');
  return [
    headersMessage(logsCtx, 'POST', '/api/v2/logs', [['content-type', 'application/json'], ['content-length', String(body.length)]], false),
    { request_body: { body, end_of_stream: true } },
  ];
}

/**
 * ext_proc streams as h2load can send them: every message of the stream in one request body, then
 * end of stream. Headers only (key injection, routing), and a buffered 64 KiB body (masking + audit).
 */
export async function runProcBench(settings: BenchSettings, floor: ServerChild, keyward: ServerChild): Promise<ProcFigures> {
  const urls = { floor: `http://${floor.ready.proc}${PROCESS_PATH}`, keyward: `http://${keyward.ready.proc}${PROCESS_PATH}` };

  const readCtx = await contextFor(keyward, 'GET', '/api/v1/validate');
  const headersOnly = await framesFor(keyward, [headersMessage(readCtx, 'GET', '/api/v1/validate', [['accept', 'application/json']], true)], false);
  const hPeak = await compare('proc-headers', settings, 'peak', urls, headersOnly, keyward);
  const hPaced = await compare('proc-headers', settings, 'paced', urls, headersOnly, keyward);

  const headersOnlyFigures = { peak: hPeak, paced: hPaced };
  const rss = Math.max(hPeak.keywardPeakRssMb, hPaced.keywardPeakRssMb);

  const body = logsPayload(64 * 1024);
  let bodyStream: Buffer;
  try {
    bodyStream = await framesFor(keyward, await bodyStreamMessages(keyward, body), true);
  } catch (e) {
    // h2load half-closes each stream right after its last message; a server that stops answering
    // on half-close cannot be measured this way, and timing its dropped answers would flatter it.
    return { headersOnly: headersOnlyFigures, body64k: { skipped: e instanceof Error ? e.message : String(e) }, keywardPeakRssMb: rss };
  }
  const bPeak = await compare('proc-body64k', settings, 'peak', urls, bodyStream, keyward);
  const bPaced = await compare('proc-body64k', settings, 'paced', urls, bodyStream, keyward, BODY_PACED_RPS);

  return {
    headersOnly: headersOnlyFigures,
    body64k: { peak: bPeak, paced: bPaced, bodyBytes: body.length, pacedRps: BODY_PACED_RPS },
    keywardPeakRssMb: Math.max(rss, bPeak.keywardPeakRssMb, bPaced.keywardPeakRssMb),
  };
}
