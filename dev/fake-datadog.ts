import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync, inflateSync } from 'node:zlib';
import { decompress as zstdDecompress } from 'fzstd';
import { needsApplicationKey } from '../src/inject/keys.js';

export interface ReceivedRequest {
  readonly host: string;
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  /** Body as received (still compressed when it was). */
  readonly raw: Buffer;
  /** Body decoded for assertions (gzip/deflate undone; other encodings left as they are). */
  readonly text: string;
  /** What the fake answered. */
  readonly status: number;
}

export interface FakeDatadog {
  readonly url: string;
  readonly received: ReceivedRequest[];
  /** Keys Datadog accepts; replace entries to simulate a rotation at Datadog. */
  readonly apiKeys: Set<string>;
  readonly appKeys: Set<string>;
  /** Body returned by POST /api/v2/logs/events/search (a log line may carry a secret). */
  logSearchResponse: unknown;
  /** Answer monitor calls 429 (Datadog's rate limit), with its X-RateLimit-* headers. */
  rateLimited: boolean;
  /** Dashboards by id, as GET/PUT /api/v1/dashboard/{id} read and replace them (seed one to show a diff). */
  readonly dashboards: Map<string, Record<string, unknown>>;
  close(): Promise<void>;
}

/**
 * A local stand-in for Datadog's API, logs intake and event intake: it checks DD-API-KEY and
 * DD-APPLICATION-KEY like Datadog (403 {"errors":["Forbidden"]}), records what it received, and
 * answers like Datadog does for the endpoints keyward's tests and demo use.
 */
export async function startFakeDatadog(options: { apiKeys: string[]; appKeys: string[]; listen?: string }): Promise<FakeDatadog> {
  const received: ReceivedRequest[] = [];
  const apiKeys = new Set(options.apiKeys);
  const appKeys = new Set(options.appKeys);
  const dashboards = new Map<string, Record<string, unknown>>();
  const state = { rateLimited: false, logSearchResponse: { data: [{ id: 'log-1', attributes: { message: 'user logged in', service: 'web' } }], meta: { status: 'done' } } as unknown };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const method = req.method ?? 'GET';
      const path = req.url ?? '/';
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : (v ?? '')]));
      const [status, body] = answer(method, path, headers, raw);
      received.push({ host: headers.host ?? '', method, path, headers, raw, text: decode(raw, headers['content-encoding']), status });
      const text = JSON.stringify(body);
      // Datadog rate-limits its API (not the intakes) and says so in every answer of a limited endpoint.
      const limits = path.startsWith('/api/v1/monitor') ? rateLimitHeaders(status === 429) : {};
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...limits });
      res.end(text);
    });
  });

  function answer(method: string, rawPath: string, headers: Record<string, string>, raw: Buffer): [number, unknown] {
    const apiKey = headers['dd-api-key'];
    if (!apiKey || !apiKeys.has(apiKey)) return [403, { errors: ['Forbidden'] }];
    if (needsApplicationKey(method, rawPath) && !appKeys.has(headers['dd-application-key'] ?? '')) return [403, { errors: ['Forbidden'] }];
    const path = rawPath.split('?')[0]!;
    if (state.rateLimited && path.startsWith('/api/v1/monitor')) return [429, { errors: ['Rate limit exceeded'] }];
    const json = () => {
      try {
        return JSON.parse(decode(raw, headers['content-encoding'])) as Record<string, unknown>;
      } catch {
        return {};
      }
    };
    if (method === 'POST' && path === '/api/v2/series') return [202, { errors: [] }];
    if (method === 'POST' && (path === '/api/v1/series' || path === '/api/v1/distribution_points' || path === '/api/v1/check_run')) return [202, { status: 'ok' }];
    if (method === 'POST' && (path === '/api/v2/logs' || path.startsWith('/v1/input'))) return [202, {}];
    if (method === 'POST' && path === '/api/v1/events') return [202, { status: 'ok', event: { id: 1, ...json() } }];
    if (method === 'POST' && path === '/api/v2/events') return [202, { data: { id: randomUUID(), type: 'event' } }];
    if (method === 'GET' && path === '/api/v1/validate') return [200, { valid: true }];
    if (method === 'POST' && path === '/api/v1/dashboard') return [200, { id: 'abc-def-ghi', url: '/dashboard/abc-def-ghi', ...json() }];
    if (path.startsWith('/api/v1/dashboard/') && (method === 'GET' || method === 'PUT')) {
      const id = decodeURIComponent(path.slice('/api/v1/dashboard/'.length));
      const found = dashboards.get(id);
      if (!found) return [404, { errors: ['Dashboard not found'] }];
      if (method === 'PUT') dashboards.set(id, { ...json(), id });
      return [200, dashboards.get(id)];
    }
    if (method === 'GET' && path === '/api/v1/monitor') return [200, []];
    if (method === 'POST' && path === '/api/v1/monitor') return [200, { id: 42, ...json() }];
    if (method === 'DELETE' && path.startsWith('/api/v1/monitor/')) return [200, { deleted_monitor_id: Number(path.split('/').pop()) }];
    if (method === 'POST' && path === '/api/v2/logs/events/search') return [200, state.logSearchResponse];
    // Datadog's "get API key" returns the key itself: the gate must mask it on the way back.
    if (method === 'GET' && path.startsWith('/api/v2/api_keys/')) return [200, { data: { id: path.split('/').pop(), type: 'api_keys', attributes: { name: 'agent key', key: apiKey, last4: apiKey.slice(-4) } } }];
    return [404, { errors: ['Not found'] }];
  }

  const listen = options.listen ?? '127.0.0.1:0';
  const i = listen.lastIndexOf(':');
  await new Promise<void>((resolve) => server.listen(Number(listen.slice(i + 1)), listen.slice(0, i), resolve));
  const addr = server.address() as AddressInfo;
  return {
    url: `http://${addr.address}:${addr.port}`,
    received,
    apiKeys,
    appKeys,
    dashboards,
    get logSearchResponse() {
      return state.logSearchResponse;
    },
    set logSearchResponse(v: unknown) {
      state.logSearchResponse = v;
    },
    get rateLimited() {
      return state.rateLimited;
    },
    set rateLimited(v: boolean) {
      state.rateLimited = v;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function rateLimitHeaders(exhausted: boolean): Record<string, string> {
  return { 'x-ratelimit-limit': '3000', 'x-ratelimit-period': '10', 'x-ratelimit-remaining': exhausted ? '0' : '2999', 'x-ratelimit-reset': '7', 'x-ratelimit-name': 'monitor_api' };
}

function decode(raw: Buffer, encoding: string | undefined): string {
  try {
    if (encoding === 'gzip') return gunzipSync(raw).toString('utf8');
    if (encoding === 'deflate') return inflateSync(raw).toString('utf8');
    if (encoding === 'zstd' || encoding === 'zstd1') return Buffer.from(zstdDecompress(raw)).toString('utf8');
  } catch {
    return '<undecodable>';
  }
  return raw.toString('utf8');
}
