import { EXT_AUTHZ_NAMESPACE } from '../src/envoy/contract.js';
import type { ProcessingRequest } from '../proto/gen/envoy/service/ext_proc/v3/ProcessingRequest.js';
import type { Struct } from '../proto/gen/google/protobuf/Struct.js';
import type { ServerChild } from './lib/child.js';
import { agentCheckRequest, encodeProcessingRequest, grpcFrame } from './lib/frames.js';
import { logsPayload } from './lib/payload.js';
import { withCpu, type BenchSettings, type Comparison, type LoadKind } from './lib/scenario.js';
import { round } from './lib/stats.js';
import { runStreams } from './lib/streams.js';
import { envoyProtos } from '../src/envoy/protos.js';
import type { ProcessingResponse__Output } from '../proto/gen/envoy/service/ext_proc/v3/ProcessingResponse.js';
import { checkClient, checkOnce } from './lib/verify.js';

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

/** The messages of one ext_proc stream carrying a buffered logs body, with a real Check's context. */
export async function bodyStreamMessages(keyward: ServerChild, body: Buffer): Promise<ProcessingRequest[]> {
  const logsCtx = await contextFor(keyward, 'POST', '/api/v2/logs');
  return [
    headersMessage(logsCtx, 'POST', '/api/v2/logs', [['content-type', 'application/json'], ['content-length', String(body.length)]], false),
    { request_body: { body, end_of_stream: true } },
  ];
}

const WARM_UP_STREAMS = 300;
const BODIES_IN_FLIGHT = 16;
const MAX_STREAMS = 20_000;
const CONTEXT_CONCURRENCY = 64;

/** `n` call contexts from real Checks, each encoded into the stream's first frame. */
async function headFrames(keyward: ServerChild, n: number, method: string, path: string, extra: [string, string][], endOfStream: boolean): Promise<Buffer[]> {
  const frames: Buffer[] = new Array(n);
  const checks = checkClient(keyward.ready.authz);
  const requests = keyward.ready.agentTokens.map((token) => agentCheckRequest(token, method, path));
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < n; i = next++) {
      const res = await checks.check(requests[i % requests.length]!);
      if (res.status?.code !== 0 || !res.dynamic_metadata) throw new Error(`the bench Check for ${method} ${path} is refused (${res.status?.message ?? ''})`);
      frames[i] = grpcFrame(encodeProcessingRequest(headersMessage(res.dynamic_metadata as Struct, method, path, extra, endOfStream)));
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(n, CONTEXT_CONCURRENCY) }, worker));
  } finally {
    checks.close();
  }
  return frames;
}

interface StreamShape {
  label: string;
  method: string;
  path: string;
  extra: [string, string][];
  /** The body message sent after the headers on every stream, or null for headers-only streams. */
  body: Buffer | null;
}

/** Checks the sampled answers: a processed stream, never an immediate response (a refusal). */
function answerInspector(expectBodyMutation: boolean) {
  const decode = (b: Buffer) => envoyProtos().extProc.envoy.service.ext_proc.v3.ExternalProcessor.service.Process.responseDeserialize(b) as ProcessingResponse__Output;
  const state = { seen: 0, wrong: 0, firstWrong: '' };
  const inspect = (answer: Buffer) => {
    state.seen++;
    const messages: ProcessingResponse__Output[] = [];
    for (let at = 0; at + 5 <= answer.length; ) {
      const len = answer.readUInt32BE(at + 1);
      messages.push(decode(answer.subarray(at + 5, at + 5 + len)));
      at += 5 + len;
    }
    const refused = messages.find((m) => m.immediate_response);
    const masked = messages.some((m) => m.request_body?.response?.body_mutation);
    if (refused || messages.length === 0 || (expectBodyMutation && !masked)) {
      state.wrong++;
      state.firstWrong ||= JSON.stringify(refused?.immediate_response?.details ?? messages.map((m) => m.response));
    }
  };
  return { inspect, state };
}

/**
 * Floor, then keyward, under the same stream driver (`bench/lib/streams.ts`): every keyward stream
 * opens with its own sealed context from a real Check, fetched before the measured window (the
 * Checks are not in the figure). The floor gets the same frames (it ignores them).
 */
async function compareStreams(settings: BenchSettings, kind: LoadKind, floor: ServerChild, keyward: ServerChild, shape: StreamShape, pacedRps = settings.paced.totalRps): Promise<Comparison & { keywardPeakRssMb: number }> {
  const tail = shape.body ? grpcFrame(encodeProcessingRequest({ request_body: { body: shape.body, end_of_stream: true } })) : null;
  // The bench's agents send the bodies: at most mask_pool.max_in_flight (default 16) of them at once,
  // or keyward rightly answers the rest 503 masking_busy.
  const streams = shape.body ? Math.max(1, Math.floor(BODIES_IN_FLIGHT / settings.peak.clients)) : settings.peak.streams;
  const load = kind === 'peak' ? { connections: settings.peak.clients, streams } : { connections: settings.paced.clients, streams: 0, rps: pacedRps };
  const heads = (n: number) => headFrames(keyward, n, shape.method, shape.path, shape.extra, shape.body === null);
  const sample = (await heads(1))[0]!;
  const repeat = (n: number) => new Array<Buffer>(n).fill(sample);
  const count = (warmRps: number) => Math.min(MAX_STREAMS, Math.max(WARM_UP_STREAMS, Math.ceil((kind === 'paced' ? pacedRps : warmRps) * settings.durationS)));

  const floorWarm = await runStreams({ address: floor.ready.proc!, heads: repeat(WARM_UP_STREAMS), tail, ...load });
  const floorRun = await withCpu(floor, () => runStreams({ address: floor.ready.proc!, heads: repeat(count(floorWarm.rps)), tail, ...load }));

  const checked = answerInspector(shape.body !== null);
  const keywardWarm = await runStreams({ address: keyward.ready.proc!, heads: await heads(WARM_UP_STREAMS), tail, ...load, inspect: checked.inspect });
  const measured = await heads(count(keywardWarm.rps));
  const stopSampling = keyward.sampleRss(250);
  const stopProfile = keyward.profile(`${shape.label}-${kind}`);
  const { run: keywardRun, cpuUs } = await withCpu(keyward, () => runStreams({ address: keyward.ready.proc!, heads: measured, tail, ...load, inspect: checked.inspect }));
  await stopProfile();
  const peak = stopSampling();
  if (checked.state.wrong > 0 || keywardRun.failed > 0) {
    throw new Error(`keyward did not process the ${shape.label} streams: ${checked.state.wrong} of ${checked.state.seen} sampled answers wrong, ${keywardRun.failed} failed (first: ${checked.state.firstWrong})`);
  }
  return {
    floor: floorRun.run,
    keyward: keywardRun,
    ratio: round(keywardRun.rps / floorRun.run.rps, 3),
    cpuUsPerRequest: { floor: floorRun.cpuUs, keyward: cpuUs },
    keywardPeakRssMb: round(peak / 2 ** 20, 1),
  };
}

/**
 * ext_proc streams as Envoy sends them, one sealed context per stream: headers only (key
 * injection, routing), and a buffered 64 KiB logs body (masking + audit before it is forwarded).
 */
export async function runProcBench(settings: BenchSettings, floor: ServerChild, keyward: ServerChild): Promise<ProcFigures> {
  const headersShape: StreamShape = { label: 'proc-headers', method: 'GET', path: '/api/v1/validate', extra: [['accept', 'application/json']], body: null };
  const hPeak = await compareStreams(settings, 'peak', floor, keyward, headersShape);
  const hPaced = await compareStreams(settings, 'paced', floor, keyward, headersShape);
  const headersOnlyFigures = { peak: hPeak, paced: hPaced };
  const rss = Math.max(hPeak.keywardPeakRssMb, hPaced.keywardPeakRssMb);

  const body = logsPayload(64 * 1024);
  const bodyShape: StreamShape = { label: 'proc-body64k', method: 'POST', path: '/api/v2/logs', extra: [['content-type', 'application/json'], ['content-length', String(body.length)]], body };
  let bPeak: Awaited<ReturnType<typeof compareStreams>>;
  let bPaced: Awaited<ReturnType<typeof compareStreams>>;
  try {
    bPeak = await compareStreams(settings, 'peak', floor, keyward, bodyShape);
    bPaced = await compareStreams(settings, 'paced', floor, keyward, bodyShape, BODY_PACED_RPS);
  } catch (e) {
    return { headersOnly: headersOnlyFigures, body64k: { skipped: e instanceof Error ? e.message : String(e) }, keywardPeakRssMb: rss };
  }
  return {
    headersOnly: headersOnlyFigures,
    body64k: { peak: bPeak, paced: bPaced, bodyBytes: body.length, pacedRps: BODY_PACED_RPS },
    keywardPeakRssMb: Math.max(rss, bPeak.keywardPeakRssMb, bPaced.keywardPeakRssMb),
  };
}
