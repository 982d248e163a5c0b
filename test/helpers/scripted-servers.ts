/**
 * Scripted stand-ins for the three things the front door talks to — an ext_authz server, an ext_proc
 * server and an upstream — so each harness semantic can be tested against answers a test chooses,
 * not against keyward's own services (a wrong harness must not be able to make wrong services look right).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { startFrontDoor, type FrontDoor } from '../../dev/front-door.js';
import { extAuthzDefaults, extProcDefaults, type ExtAuthzOptions, type ExtProcOptions } from '../../dev/options.js';
import { envoyProtos } from '../../src/envoy/protos.js';
import type { CheckRequest__Output } from '../../proto/gen/envoy/service/auth/v3/CheckRequest.js';
import type { CheckResponse } from '../../proto/gen/envoy/service/auth/v3/CheckResponse.js';
import type { ProcessingRequest__Output } from '../../proto/gen/envoy/service/ext_proc/v3/ProcessingRequest.js';
import type { ProcessingResponse } from '../../proto/gen/envoy/service/ext_proc/v3/ProcessingResponse.js';
import type { HeaderValueOption } from '../../proto/gen/envoy/config/core/v3/HeaderValueOption.js';

/** What a scripted ext_authz server does with one Check. */
export type AuthzAnswer = { response: CheckResponse } | { grpcError: grpc.status } | { hang: true };

export interface ScriptedAuthz {
  readonly address: string;
  readonly calls: CheckRequest__Output[];
  close(): Promise<void>;
}

async function serve(add: (server: grpc.Server) => void, onClose: () => void = () => undefined): Promise<{ address: string; close(): Promise<void> }> {
  const server = new grpc.Server();
  add(server);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return {
    address: `127.0.0.1:${port}`,
    close: () => {
      onClose();
      server.forceShutdown();
      return Promise.resolve();
    },
  };
}

export const OK: AuthzAnswer = { response: { status: { code: 0 }, ok_response: {} } };

/** An ext_authz server whose answer to each Check is whatever `script` returns. */
export async function startScriptedAuthz(script: (req: CheckRequest__Output) => AuthzAnswer | Promise<AuthzAnswer>): Promise<ScriptedAuthz> {
  const calls: CheckRequest__Output[] = [];
  const hanging = new Set<() => void>();
  const handlers = {
    Check(call: grpc.ServerUnaryCall<CheckRequest__Output, CheckResponse>, callback: grpc.sendUnaryData<CheckResponse>) {
      calls.push(call.request);
      void Promise.resolve(script(call.request)).then((answer) => {
        if ('hang' in answer) {
          // Never answers; released at close so the server can stop.
          hanging.add(() => callback({ code: grpc.status.CANCELLED }));
          return;
        }
        if ('grpcError' in answer) return callback({ code: answer.grpcError, details: 'scripted error' });
        callback(null, answer.response);
      });
    },
  };
  const s = await serve(
    (server) => server.addService(envoyProtos().auth.envoy.service.auth.v3.Authorization.service, handlers as unknown as grpc.UntypedServiceImplementation),
    () => hanging.forEach((release) => release()),
  );
  return { address: s.address, calls, close: s.close };
}

export type ProcPhase = 'request_headers' | 'request_body' | 'response_headers' | 'response_body' | 'request_trailers' | 'response_trailers';

/** The stream a scripted ext_proc handler answers on. */
export interface ProcReplies {
  send(res: ProcessingResponse): void;
  /** Ends the stream with a gRPC status (an error unless OK). */
  fail(code: grpc.status): void;
}

export interface ScriptedProc {
  readonly address: string;
  /** Every message received, per stream, in order. */
  readonly streams: ProcessingRequest__Output[][];
  close(): Promise<void>;
}

/** The phase a ProcessingRequest carries. */
export function phaseOf(msg: ProcessingRequest__Output): ProcPhase {
  return msg.request as ProcPhase;
}

/** The pass-through answer for a phase: an empty CommonResponse of the matching kind. */
export function passThrough(phase: ProcPhase): ProcessingResponse {
  return { [phase]: phase.endsWith('trailers') ? {} : { response: {} } } as ProcessingResponse;
}

/**
 * An ext_proc server: `script` is called for every message with the stream's replies; it may answer
 * (once, twice, never, late) or fail the stream. The default script answers every message with a
 * pass-through response of the matching kind.
 */
export async function startScriptedProc(script: (msg: ProcessingRequest__Output, replies: ProcReplies, index: number) => void = (m, r) => r.send(passThrough(phaseOf(m)))): Promise<ScriptedProc> {
  const streams: ProcessingRequest__Output[][] = [];
  const open = new Set<grpc.ServerDuplexStream<ProcessingRequest__Output, ProcessingResponse>>();
  const handlers = {
    Process(call: grpc.ServerDuplexStream<ProcessingRequest__Output, ProcessingResponse>) {
      const received: ProcessingRequest__Output[] = [];
      streams.push(received);
      open.add(call);
      let done = false;
      const replies: ProcReplies = {
        send: (res) => {
          if (!done && !call.cancelled) call.write(res);
        },
        fail: (code) => {
          if (done) return;
          done = true;
          call.emit('error', { code, details: 'scripted failure' });
        },
      };
      call.on('data', (msg: ProcessingRequest__Output) => {
        received.push(msg);
        script(msg, replies, received.length - 1);
      });
      const finish = () => {
        open.delete(call);
        if (!done) {
          done = true;
          call.end();
        }
      };
      call.on('end', finish);
      call.on('cancelled', () => {
        done = true;
        open.delete(call);
      });
      call.on('error', () => undefined);
    },
  };
  const s = await serve(
    (server) => server.addService(envoyProtos().extProc.envoy.service.ext_proc.v3.ExternalProcessor.service, handlers as unknown as grpc.UntypedServiceImplementation),
    () => open.forEach((c) => c.end()),
  );
  return { address: s.address, streams, close: s.close };
}

/** Header values as the processor sees them (raw_value bytes decoded), pseudo-headers included. */
export function headersOf(msg: ProcessingRequest__Output): Record<string, string> {
  const h = msg.request_headers ?? msg.response_headers;
  const out: Record<string, string> = {};
  for (const e of h?.headers?.headers ?? []) out[e.key] = e.raw_value && e.raw_value.length > 0 ? Buffer.from(e.raw_value).toString('utf8') : e.value;
  return out;
}

/** A header to set, as keyward sends them (raw_value bytes, OVERWRITE_IF_EXISTS_OR_ADD unless told). */
export function setHeader(key: string, value: string, append_action: HeaderValueOption['append_action'] = 'OVERWRITE_IF_EXISTS_OR_ADD'): HeaderValueOption {
  return { header: { key, raw_value: Buffer.from(value) }, append_action };
}

export interface UpstreamRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

export interface Upstream {
  readonly url: string;
  readonly received: UpstreamRequest[];
  /** What the upstream answers (default 200 JSON echo of the method and path). */
  respond: (req: UpstreamRequest) => { status: number; headers?: Record<string, string>; body?: string | Buffer };
  close(): Promise<void>;
}

/** A tiny upstream that records what reached it. */
export async function startUpstream(): Promise<Upstream> {
  const received: UpstreamRequest[] = [];
  const state: Pick<Upstream, 'respond'> = {
    respond: (req) => ({ status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ method: req.method, path: req.path }) }),
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : (v ?? '')]));
      const r: UpstreamRequest = { method: req.method ?? 'GET', path: req.url ?? '/', headers, body: Buffer.concat(chunks) };
      received.push(r);
      const out = state.respond(r);
      const body = typeof out.body === 'string' ? Buffer.from(out.body) : (out.body ?? Buffer.alloc(0));
      res.writeHead(out.status, { ...out.headers, 'content-length': String(body.length) });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    get respond() {
      return state.respond;
    },
    set respond(fn) {
      state.respond = fn;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export const CLUSTER_HEADER = 'x-route-cluster';

export interface HarnessRig {
  door: FrontDoor;
  authz: ScriptedAuthz;
  proc: ScriptedProc | null;
  upstream: Upstream;
  /** A second upstream, cluster `other`, for routing tests. */
  other: Upstream;
  /** fetch against the door; `x-route-cluster: main` unless the test sets it. */
  call(path: string, init?: { method?: string; headers?: Record<string, string>; body?: string | Buffer }): Promise<{ status: number; headers: Headers; body: string }>;
  stop(): Promise<void>;
}

/**
 * The front door between scripted servers: ext_authz (script required), optionally ext_proc, and
 * two upstream clusters (`main`, `other`) picked by the `x-route-cluster` header.
 */
export async function startRig(options: {
  authz?: Parameters<typeof startScriptedAuthz>[0];
  proc?: Parameters<typeof startScriptedProc>[0] | 'none';
  extAuthz?: Partial<ExtAuthzOptions>;
  extProc?: Partial<ExtProcOptions>;
  /** Reply around the filters as envoy.yaml does (local_reply_config, `unrouted`). */
  gateReplies?: boolean;
  bufferLimitBytes?: number;
}): Promise<HarnessRig> {
  const authz = await startScriptedAuthz(options.authz ?? (() => OK));
  const proc = options.proc === 'none' ? null : await startScriptedProc(options.proc);
  const upstream = await startUpstream();
  const other = await startUpstream();
  const door = await startFrontDoor({
    listen: '127.0.0.1:0',
    // Envoy's 200 ms defaults are too tight for a loaded CI machine; tests of timeouts set their own.
    extAuthz: { ...extAuthzDefaults(authz.address), timeoutMs: 5_000, ...options.extAuthz },
    ...(proc ? { extProc: { ...extProcDefaults(proc.address), messageTimeoutMs: 5_000, ...options.extProc } } : {}),
    clusters: { main: { url: upstream.url, hostRewrite: 'main.upstream' }, other: { url: other.url, hostRewrite: 'other.upstream' } },
    clusterHeader: CLUSTER_HEADER,
    ...(options.gateReplies ? { gateReplies: true } : {}),
    ...(options.bufferLimitBytes !== undefined ? { bufferLimitBytes: options.bufferLimitBytes } : {}),
  });
  return {
    door,
    authz,
    proc,
    upstream,
    other,
    async call(path, init = {}) {
      const res = await fetch(`${door.url}${path}`, {
        method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
        headers: { [CLUSTER_HEADER]: 'main', ...init.headers },
        ...(init.body === undefined ? {} : { body: init.body }),
      });
      return { status: res.status, headers: res.headers, body: await res.text() };
    },
    async stop() {
      await door.close();
      await Promise.all([authz.close(), proc?.close(), upstream.close(), other.close()]);
    },
  };
}
