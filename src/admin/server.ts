import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type AdminHandler = (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => boolean | Promise<boolean>;

export interface AdminServer {
  readonly url: string;
  close(): Promise<void>;
}

export interface AdminOptions {
  listen: string;
  /** Ready only when the config is loaded and the database answers. */
  ready: () => Promise<{ ok: boolean; checks: Record<string, string> }>;
  /** Further routes (metrics, approvals API and page); each returns true when it handled the request. */
  handlers?: AdminHandler[];
}

export function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}

/** The admin HTTP listener: liveness, readiness, and whatever routes other capabilities add. */
export async function startAdminServer(options: AdminOptions): Promise<AdminServer> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://admin');
    (async () => {
      if (req.method === 'GET' && url.pathname === '/healthz') return sendJson(res, 200, { status: 'ok' });
      if (req.method === 'GET' && url.pathname === '/readyz') {
        const r = await options.ready();
        return sendJson(res, r.ok ? 200 : 503, { status: r.ok ? 'ready' : 'not_ready', checks: r.checks });
      }
      for (const handler of options.handlers ?? []) if (await handler(req, res, url)) return;
      sendJson(res, 404, { error: { code: 'not_found', message: 'No such admin route.' } });
    })().catch(() => {
      if (!res.headersSent) sendJson(res, 500, { error: { code: 'internal_error', message: 'The admin route failed.' } });
    });
  });
  const i = options.listen.lastIndexOf(':');
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(Number(options.listen.slice(i + 1)), options.listen.slice(0, i), resolve);
  });
  const addr = server.address() as AddressInfo;
  return {
    url: `http://${addr.address}:${addr.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
