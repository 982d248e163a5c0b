import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAuthzClient, reply, runExtAuthz, type HttpRequestState, type LocalReply } from './authz-filter.js';
import { applySetHeaders, headerSetFrom, type HeaderSet } from './headers.js';
import type { FrontDoorOptions, ProcessingModeOptions } from './options.js';
import { LOCAL_REPLY_STATUS, localReplyBody, isFilterFailure } from '../src/envoy/local-replies.js';
import { forwardedMetadata, runPhase } from './proc-filter.js';
import { createProcClient, openProcStream } from './proc-stream.js';

export interface FrontDoor {
  /** http://host:port agents (or curl) call. */
  readonly url: string;
  /** Every local reply the front door produced, with Envoy-like response details (for tests and the demo log). */
  readonly localReplies: { status: number; details: string }[];
  close(): Promise<void>;
}

const HOP_BY_HOP = ['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'te', 'trailer'];

/**
 * A development front door that behaves like Envoy's filter chain ext_authz → ext_proc → router,
 * calling keyward over real gRPC. It lets a newcomer curl the gate without Envoy, and it is the
 * harness the tests use in place of Envoy (each semantic it reproduces has a test of its own).
 */
export async function startFrontDoor(options: FrontDoorOptions): Promise<FrontDoor> {
  const authz = createAuthzClient(options.extAuthz);
  const proc = options.extProc ? createProcClient(options.extProc) : null;
  const localReplies: { status: number; details: string }[] = [];

  const server = http.createServer((inReq, outRes) => {
    const chunks: Buffer[] = [];
    inReq.on('data', (c: Buffer) => chunks.push(c));
    inReq.on('end', () => {
      handle(inReq, Buffer.concat(chunks)).then(
        (r) => send(outRes, r.status, r.headers, r.body),
        () => send(outRes, 500, new Map(), Buffer.from('front door error')),
      );
    });
  });

  async function handle(inReq: http.IncomingMessage, body: Buffer): Promise<{ status: number; headers: HeaderSet; body: Buffer }> {
    const headers = headerSetFrom(inReq.headers);
    for (const h of HOP_BY_HOP) headers.delete(h);
    const host = headers.get('host') ?? 'localhost';
    headers.delete('host');
    const req: HttpRequestState = { method: inReq.method ?? 'GET', path: inReq.url ?? '/', headers, body, metadata: {}, responseHeadersToAdd: [] };
    const local = (original: LocalReply) => {
      const r = options.gateReplies ? mapLocalReply(original, req.headers.get('x-request-id')) : original;
      localReplies.push({ status: r.status, details: r.details });
      return finish(r.status, r.headers, r.body, req);
    };

    const authzReply = await runExtAuthz(authz, options.extAuthz, req, host);
    if (authzReply) return local(authzReply);

    // The route is picked on the headers as they are now; clear_route_cache makes it pick again.
    let cluster = req.headers.get(options.clusterHeader);
    const mode: ProcessingModeOptions = { ...(options.extProc?.processingMode ?? { request_header_mode: 'SKIP', response_header_mode: 'SKIP', request_body_mode: 'NONE', response_body_mode: 'NONE' }) };
    const stream = proc && options.extProc ? openProcStream(proc, options.extProc) : null;
    try {
      const reqBody = { value: req.body };
      if (stream && options.extProc) {
        const metadata = forwardedMetadata(options.extProc, req);
        const pseudo = { ':method': req.method, ':path': req.path, ':authority': host, ':scheme': 'http' };
        let replaced = false;
        if (mode.request_header_mode === 'SEND') {
          const out = await runPhase(stream, options.extProc, 'request_headers', req.headers, reqBody, pseudo, metadata, mode);
          if (out.reply) return local(out.reply);
          replaced = out.bodyReplaced;
          takePathMutation(req);
          if (out.clearRouteCache) cluster = req.headers.get(options.clusterHeader);
        }
        if (mode.request_body_mode === 'BUFFERED' && !replaced && reqBody.value.length > 0) {
          if (overLimit(reqBody.value)) return local(reply(413, 'request_payload_too_large', 'Payload Too Large'));
          const out = await runPhase(stream, options.extProc, 'request_body', req.headers, reqBody, {}, metadata, mode);
          if (out.reply) return local(out.reply);
          if (out.clearRouteCache) cluster = req.headers.get(options.clusterHeader);
        }
        // Envoy forwards what it has; a stale content-length makes the upstream reject or truncate.
        const declared = req.headers.get('content-length');
        if (declared !== undefined && Number(declared) !== reqBody.value.length) return local(reply(502, 'content_length_mismatch', 'upstream request content-length does not match the body'));
      }

      const target = cluster === undefined ? undefined : options.clusters[cluster];
      if (cluster === undefined) {
        // envoy.yaml: no cluster header → the catch-all `unrouted` route; bare Envoy: no route, 404.
        if (!options.gateReplies) return local(reply(404, 'route_not_found', ''));
        return local(gateFailureReply('direct_response', undefined));
      }
      if (!target) return local(reply(503, 'cluster_not_found', ''));
      const upstream = await forward(target.url, target.hostRewrite ?? host, req.method, req.path, req.headers, reqBody.value);
      if (!upstream) return local(reply(503, 'upstream_connect_failure', ''));

      const resBody = { value: upstream.body };
      if (stream && options.extProc) {
        const metadata = forwardedMetadata(options.extProc, req);
        if (mode.response_header_mode === 'SEND') {
          const out = await runPhase(stream, options.extProc, 'response_headers', upstream.headers, resBody, { ':status': String(upstream.status) }, metadata, mode);
          if (out.reply) return local(out.reply);
          if (out.bodyReplaced) return finish(upstream.status, upstream.headers, resBody.value, req);
        }
        if (mode.response_body_mode === 'BUFFERED' && resBody.value.length > 0) {
          if (overLimit(resBody.value)) return local(reply(500, 'response_payload_too_large', 'Internal Server Error'));
          const out = await runPhase(stream, options.extProc, 'response_body', upstream.headers, resBody, {}, metadata, mode);
          if (out.reply) return local(out.reply);
        }
      }
      return finish(upstream.status, upstream.headers, resBody.value, req);
    } finally {
      stream?.close();
    }
  }

  function overLimit(body: Buffer): boolean {
    return options.bufferLimitBytes !== undefined && body.length > options.bufferLimitBytes;
  }

  function finish(status: number, headers: HeaderSet, body: Buffer, req: HttpRequestState) {
    applySetHeaders(headers, req.responseHeadersToAdd, 'append', false);
    return { status, headers, body };
  }

  await new Promise<void>((resolve) => {
    const i = options.listen.lastIndexOf(':');
    server.listen(Number(options.listen.slice(i + 1)), options.listen.slice(0, i), resolve);
  });
  const addr = server.address() as AddressInfo;
  return {
    url: `http://${addr.address}:${addr.port}`,
    localReplies,
    close: () =>
      new Promise<void>((resolve) => {
        authz.close();
        proc?.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** local_reply_config: a mapper whose filter matches rewrites the status and the body (filter_manager.cc sendLocalReply). */
function mapLocalReply(r: LocalReply, requestId: string | undefined): LocalReply {
  return isFilterFailure(r.details) ? gateFailureReply(r.details, requestId) : r;
}

/** envoy.yaml's fail-closed answer: 503 with keyward's JSON gate_unavailable body. */
function gateFailureReply(details: string, requestId: string | undefined): LocalReply {
  const r = reply(LOCAL_REPLY_STATUS, details, localReplyBody(requestId));
  r.headers.set('content-type', 'application/json');
  return r;
}

/** A `:path` set by ext_proc lands in the header set; move it to the request line. */
function takePathMutation(req: HttpRequestState) {
  const path = req.headers.get(':path');
  if (path !== undefined) {
    req.path = path;
    req.headers.delete(':path');
  }
}

function send(res: http.ServerResponse, status: number, headers: HeaderSet, body: Buffer) {
  for (const h of HOP_BY_HOP) headers.delete(h);
  headers.set('content-length', String(body.length));
  res.writeHead(status, Object.fromEntries(headers));
  res.end(body);
}

function forward(base: string, host: string, method: string, path: string, headers: HeaderSet, body: Buffer): Promise<{ status: number; headers: HeaderSet; body: Buffer } | null> {
  const url = new URL(path, base);
  const outHeaders: Record<string, string> = { ...Object.fromEntries(headers), host };
  if (body.length > 0 || method === 'POST' || method === 'PUT' || method === 'PATCH') outHeaders['content-length'] = String(body.length);
  return new Promise((resolve) => {
    const r = http.request(url, { method, headers: outHeaders }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 502, headers: headerSetFrom(res.headers), body: Buffer.concat(chunks) }));
      res.on('error', () => resolve(null));
    });
    r.on('error', () => resolve(null));
    r.end(body);
  });
}
