import { randomUUID } from 'node:crypto';
import { createServer, connect, type Server, type Socket } from 'node:net';

/** The machine's Redis (never flushed: every test run writes under a prefix of its own). */
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
export const testPrefix = (name: string) => `kwtest:${name}:${randomUUID().slice(0, 8)}:`;

/**
 * A TCP proxy in front of Redis that a test can cut and restore: "Redis went down" without touching
 * the machine's Redis. cut() closes the listener and every open connection; restore() listens again
 * on the same port.
 */
export async function startRedisProxy(target = { host: '127.0.0.1', port: 6379 }) {
  const sockets = new Set<Socket>();
  let server: Server | null = null;
  let port = 0;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const s = createServer((client) => {
        const upstream = connect(target.port, target.host);
        for (const sock of [client, upstream]) {
          sockets.add(sock);
          sock.on('close', () => sockets.delete(sock));
          sock.on('error', () => undefined);
        }
        client.pipe(upstream).pipe(client);
      });
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => {
        port = (s.address() as { port: number }).port;
        server = s;
        resolve();
      });
    });
  await listen();
  return {
    get url() {
      return `redis://127.0.0.1:${port}`;
    },
    async cut() {
      const s = server;
      server = null;
      for (const sock of sockets) sock.destroy();
      if (s) await new Promise<void>((r) => s.close(() => r()));
    },
    restore: listen,
    close() {
      return this.cut();
    },
  };
}

/** until() for a condition that must be read asynchronously (a store, an HTTP endpoint). */
export async function untilAsync(cond: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('timed out waiting for a condition');
    await new Promise((r) => setTimeout(r, 20));
  }
}
