import { createServer } from 'node:net';

/**
 * A port the OS says is free right now, for servers that cannot listen on port 0 themselves (an
 * embedded Postgres). Better than a random number, which may fall on a port an outgoing socket of
 * the test file running alongside holds (random ranges overlap Linux's ephemeral ports).
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
