import * as grpc from '@grpc/grpc-js';
import { grpcChannel } from './upstream-tls.js';
import { envoyProtos } from '../src/envoy/protos.js';
import type { AuthorizationClient } from '../proto/gen/envoy/service/auth/v3/Authorization.js';
import type { CheckRequest } from '../proto/gen/envoy/service/auth/v3/CheckRequest.js';
import type { CheckResponse__Output } from '../proto/gen/envoy/service/auth/v3/CheckResponse.js';
import { EXT_AUTHZ_NAMESPACE } from '../src/envoy/contract.js';
import { paramName } from '../src/policy/request-path.js';
import { fromStruct, type Plain } from '../src/envoy/struct.js';
import type { HeaderValueOption } from '../proto/gen/envoy/config/core/v3/HeaderValueOption.js';
import { applySetHeaders, removeHeaders, type HeaderSet } from './headers.js';
import type { ExtAuthzOptions } from './options.js';

export interface HttpRequestState {
  method: string;
  path: string;
  headers: HeaderSet;
  body: Buffer;
  /** Dynamic metadata by filter namespace, as later filters see it. */
  metadata: Record<string, { [key: string]: Plain }>;
  /** ext_authz response_headers_to_add, applied to whatever response the client gets. */
  responseHeadersToAdd: HeaderValueOption[];
}

export interface LocalReply {
  status: number;
  headers: HeaderSet;
  body: Buffer;
  /** Why the front door answered itself (Envoy's response code details). */
  details: string;
}


export function createAuthzClient(options: ExtAuthzOptions): AuthorizationClient {
  const Ctor = envoyProtos().auth.envoy.service.auth.v3.Authorization;
  const channel = grpcChannel(options.tls);
  return new Ctor(options.address, channel.credentials, channel.options);
}

/**
 * The ext_authz filter: build the CheckRequest, call with the filter timeout, apply an OK
 * response's mutations to the request, or turn anything else into the reply Envoy would send.
 */
export async function runExtAuthz(client: AuthorizationClient, options: ExtAuthzOptions, req: HttpRequestState, host: string): Promise<LocalReply | null> {
  const headers: Record<string, string> = Object.fromEntries(req.headers);
  let body: Buffer | null = null;
  if (options.withRequestBody && req.body.length > 0) {
    const max = options.withRequestBody.maxRequestBytes;
    if (req.body.length > max) {
      if (!options.withRequestBody.allowPartialMessage) return reply(413, 'request_payload_too_large', 'Payload Too Large');
      body = req.body.subarray(0, max);
      headers['x-envoy-auth-partial-body'] = 'true';
    } else {
      body = req.body;
      headers['x-envoy-auth-partial-body'] = 'false';
    }
  }
  const request: CheckRequest = {
    attributes: {
      request: {
        http: {
          id: String(Math.floor(Math.random() * 1e15)),
          method: req.method,
          path: req.path,
          host,
          scheme: 'http',
          protocol: 'HTTP/1.1',
          headers,
          size: String(req.body.length),
          ...(body ? (options.withRequestBody!.packAsBytes ? { raw_body: body } : { body: body.toString('utf8') }) : {}),
        },
      },
    },
  };
  let response: CheckResponse__Output;
  try {
    response = await new Promise((resolve, reject) =>
      client.Check(request, { deadline: Date.now() + options.timeoutMs }, (err, res) => (err || !res ? reject(err ?? new Error('empty')) : resolve(res))),
    );
  } catch {
    return options.failureModeAllow ? null : reply(options.statusOnError, 'ext_authz_error', '');
  }
  if ((response.status?.code ?? 0) !== 0) {
    const denied = response.denied_response;
    const out = reply(denied?.status?.code ? Number(statusNumber(denied.status.code)) : 403, 'ext_authz_denied', denied?.body ?? '');
    applySetHeaders(out.headers, denied?.headers, 'overwrite', false);
    return out;
  }
  const ok = response.ok_response;
  // Without decoder_header_mutation_rules Envoy lets ext_authz remove any header but pseudo-headers
  // and host; sets of routing and x-envoy-* headers stay refused here (DESIGN: don't rely on them).
  applySetHeaders(req.headers, ok?.headers, 'overwrite');
  removeHeaders(req.headers, ok?.headers_to_remove, false);
  req.path = mutateQuery(req.path, ok?.query_parameters_to_remove ?? [], (ok?.query_parameters_to_set ?? []).map((q) => [q.key, q.value]));
  req.responseHeadersToAdd.push(...(ok?.response_headers_to_add ?? []));
  if (response.dynamic_metadata) req.metadata[EXT_AUTHZ_NAMESPACE] = fromStruct(response.dynamic_metadata);
  return null;
}

function mutateQuery(path: string, remove: readonly string[], set: readonly [string, string][]): string {
  const q = path.indexOf('?');
  if (q === -1 && set.length === 0) return path;
  const base = q === -1 ? path : path.slice(0, q);
  const parts = q === -1 ? [] : path.slice(q + 1).split('&').filter((p) => p !== '');
  const kept = parts.filter((p) => !remove.includes(paramName(p)));
  for (const [k, v] of set) kept.push(`${encodeURIComponent(k)}=${encodeURIComponent(v)}`);
  return kept.length ? `${base}?${kept.join('&')}` : base;
}

/** Envoy's StatusCode enum arrives as a name with enums=String; the generated enum maps it back. */
export function statusNumber(code: string | number): number {
  if (typeof code === 'number') return code;
  const values = (envoyProtos().auth.envoy.type.v3.StatusCode as unknown as { type: { value: { name: string; number: number }[] } }).type.value;
  return values.find((v) => v.name === code)?.number ?? 403;
}

export function reply(status: number, details: string, body: string | Buffer): LocalReply {
  const buf = typeof body === 'string' ? Buffer.from(body) : body;
  const headers: HeaderSet = new Map();
  if (buf.length > 0) headers.set('content-type', 'text/plain');
  return { status, headers, body: buf, details };
}

