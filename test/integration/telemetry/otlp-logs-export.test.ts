/**
 * The OTLP logs exporter against real HTTP(S) receivers on loopback: delivery over one kept-alive
 * connection, and every way an export can fail — 503, a refused connection, a receiver that never
 * answers, an untrusted certificate — plus a full queue, and one that answers the status but never ends
 * the body. Each failure must be dropped and counted, and emit() must stay synchronous throughout.
 */
import http from 'node:http';
import https from 'node:https';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import t, { type Test } from 'tap';
import { createOtlpLogs, type OtlpLogsOptions } from '../../../src/telemetry/otlp-logs.js';
import { decodeOtlpLogs } from '../../helpers/otlp-decode.js';

type Mode = 'ok' | '503' | 'hang' | 'hang-body';

/** A receiver whose answer `mode` decides; records what it decoded and how many connections it saw. */
async function startReceiver(t: Test, tls?: { key: Buffer; cert: Buffer }) {
  const state = { mode: 'ok' as Mode, requests: 0, connections: 0, closedUnanswered: 0, records: [] as { body: string; i: number }[], contentTypes: new Set<string>() };
  const handler: http.RequestListener = (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      state.requests++;
      const mode = state.mode;
      if (mode === '503') return void res.writeHead(503, { 'content-type': 'text/plain' }).end('unavailable');
      if (mode === 'hang') return void res.on('close', () => state.closedUnanswered++);
      if (mode === 'hang-body') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{');
        return void res.on('close', () => state.closedUnanswered++);
      }
      const type = String(req.headers['content-type']);
      state.contentTypes.add(type);
      for (const r of decodeOtlpLogs(type, Buffer.concat(chunks)).records) state.records.push({ body: String(r.body), i: Number(r.attributes.i) });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  };
  const server = tls ? https.createServer(tls, handler) : http.createServer(handler);
  server.on('connection', () => state.connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  }));
  const { port } = server.address() as AddressInfo;
  return { state, url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}/v1/logs` };
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

function exporter(endpoint: string, over: Partial<OtlpLogsOptions> = {}) {
  const drops: number[] = [];
  const logs = createOtlpLogs<number>({ endpoint, queueSize: 10_000, batchSize: 100, intervalMs: 20, timeoutMs: 2_000, onDrop: (n) => drops.push(n), ...over }, (i) => ({ body: `row ${i}`, attributes: { i } }));
  return { logs, dropMetric: () => drops.reduce((a, b) => a + b, 0) };
}

const until = async (what: () => boolean, ms = 5_000) => {
  const end = Date.now() + ms;
  while (!what()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
};

/** emit() for `n` items; returns how many were queued and the slowest single call (ms). */
function emitMany(logs: { emit(i: number): boolean }, from: number, n: number): { queued: number; slowestMs: number } {
  let queued = 0;
  let slowestMs = 0;
  for (let i = from; i < from + n; i++) {
    const t0 = performance.now();
    if (logs.emit(i)) queued++;
    slowestMs = Math.max(slowestMs, performance.now() - t0);
  }
  return { queued, slowestMs };
}

t.test('every record arrives once, in order, over one kept-alive connection', async (t) => {
  const r = await startReceiver(t);
  const { logs, dropMetric } = exporter(r.url);
  t.equal(emitMany(logs, 0, 1_050).queued, 1_050);
  await until(() => r.state.records.length >= 1_000); // the full batches went out on their own
  await logs.close(); // and close() exports the rest
  t.same(r.state.records.map((x) => x.i), Array.from({ length: 1_050 }, (_, i) => i));
  t.equal(r.state.records[7]!.body, 'row 7');
  t.same([...r.state.contentTypes], ['application/x-protobuf']);
  t.equal(r.state.requests, 11, '10 full batches and the rest');
  t.equal(r.state.connections, 1, 'one connection for every request');
  t.equal(logs.dropped(), 0);
  t.equal(dropMetric(), 0);
});

t.test('json encoding is sent as application/json', async (t) => {
  const r = await startReceiver(t);
  const { logs } = exporter(r.url, { encoding: 'json' });
  emitMany(logs, 0, 5);
  await logs.close();
  t.same([...r.state.contentTypes], ['application/json']);
  t.same(r.state.records.map((x) => x.i), [0, 1, 2, 3, 4]);
});

t.test('a 503 drops and counts its batch; the next batch goes through once the receiver recovers', async (t) => {
  const r = await startReceiver(t);
  const { logs, dropMetric } = exporter(r.url);
  r.state.mode = '503';
  emitMany(logs, 0, 250);
  await until(() => logs.dropped() === 250);
  t.equal(r.state.records.length, 0);
  t.equal(dropMetric(), 250, 'the metric saw every drop');
  r.state.mode = 'ok';
  emitMany(logs, 250, 100);
  await logs.close();
  t.same(r.state.records.map((x) => x.i), Array.from({ length: 100 }, (_, i) => 250 + i));
  t.equal(logs.dropped(), 250, 'nothing more dropped');
  t.equal(r.state.connections, 1, 'a non-2xx answer does not cost the connection');
});

t.test('a refused connection drops and counts; emit stays synchronous and close() returns', async (t) => {
  const { logs, dropMetric } = exporter(`http://127.0.0.1:${await closedPort()}/v1/logs`);
  const { queued, slowestMs } = emitMany(logs, 0, 300);
  t.equal(queued, 300, 'queued while the receiver is down');
  t.ok(slowestMs < 50, `emit never waits (slowest ${slowestMs.toFixed(2)} ms)`);
  await until(() => logs.dropped() === 300);
  const t0 = performance.now();
  await logs.close();
  t.ok(performance.now() - t0 < 1_000, 'close() does not wait on a receiver that is not there');
  t.equal(dropMetric(), 300);
});

t.test('a receiver that never answers: each request ends at timeoutMs, counted as dropped, its socket closed', async (t) => {
  const r = await startReceiver(t);
  const { logs, dropMetric } = exporter(r.url, { timeoutMs: 200 });
  r.state.mode = 'hang';
  const t0 = performance.now();
  emitMany(logs, 0, 100);
  await until(() => logs.dropped() === 100);
  const took = performance.now() - t0;
  t.ok(took >= 150 && took < 1_500, `dropped after the deadline (${Math.round(took)} ms)`);
  t.equal(dropMetric(), 100);
  await until(() => r.state.closedUnanswered === 1);
  t.pass('the hung exchange was closed, not left open');
  // The exporter carries on with the next batch on a new connection.
  r.state.mode = 'ok';
  emitMany(logs, 100, 100);
  await logs.close();
  t.same(r.state.records.map((x) => x.i), Array.from({ length: 100 }, (_, i) => 100 + i));
  t.equal(r.state.connections, 2);
});

t.test('a receiver that answers 200 but never ends the body: the batch counts as accepted, the exchange still ends at timeoutMs', async (t) => {
  const r = await startReceiver(t);
  const { logs } = exporter(r.url, { timeoutMs: 200 });
  r.state.mode = 'hang-body';
  emitMany(logs, 0, 100);
  await until(() => r.state.requests === 1);
  await until(() => r.state.closedUnanswered === 1); // the deadline closed it
  t.equal(logs.dropped(), 0, 'the status line is the receiver accepting the batch');
  r.state.mode = 'ok';
  emitMany(logs, 100, 10);
  const t0 = performance.now();
  await logs.close();
  t.ok(performance.now() - t0 < 1_000, 'close() is not held up');
  t.same(r.state.records.map((x) => x.i), Array.from({ length: 10 }, (_, i) => 100 + i), 'the next batch goes out on a new connection');
  t.equal(r.state.connections, 2);
});

t.test('a full queue drops and counts what does not fit, while an export hangs, without blocking emit', async (t) => {
  const r = await startReceiver(t);
  // Batches of 10 from a queue of 30: the first batch hangs in flight, 30 more wait, the rest drop.
  const { logs, dropMetric } = exporter(r.url, { queueSize: 30, batchSize: 10, intervalMs: 60_000, timeoutMs: 300 });
  r.state.mode = 'hang';
  t.equal(emitMany(logs, 0, 10).queued, 10);
  await until(() => r.state.requests === 1); // the first batch is with the receiver, unanswered
  const { queued, slowestMs } = emitMany(logs, 10, 50);
  t.equal(queued, 30, 'the queue takes queueSize items');
  t.equal(logs.dropped(), 20, 'the other 20 are dropped at once');
  t.equal(dropMetric(), 20);
  t.ok(slowestMs < 50, `emit never waits (slowest ${slowestMs.toFixed(2)} ms)`);
  r.state.mode = 'ok';
  await logs.close();
  t.equal(logs.dropped(), 30, 'plus the batch that timed out');
  t.same(r.state.records.map((x) => x.i), Array.from({ length: 30 }, (_, i) => 10 + i), 'the queued 30 arrive after it');
  t.notOk(logs.emit(99), 'after close() nothing is queued');
  t.equal(logs.dropped(), 31);
});

t.test('https: a receiver whose certificate is not trusted gets nothing; the batch is dropped and counted', async (t) => {
  const dir = new URL('../../fixtures/tls/', import.meta.url);
  const r = await startReceiver(t, { key: readFileSync(new URL('server.key', dir)), cert: readFileSync(new URL('server.crt', dir)) });
  const { logs } = exporter(r.url);
  emitMany(logs, 0, 100);
  await until(() => logs.dropped() === 100);
  await logs.close();
  t.equal(r.state.requests, 0, 'no request got through an unverified TLS connection');
  t.ok(r.state.connections >= 1, 'it did try');
});
