import { connect, constants, type ClientHttp2Session } from 'node:http2';
import { PROCESS_PATH } from './frames.js';
import type { H2loadResult } from './h2load.js';
import { percentile, round } from './stats.js';

/**
 * A load driver for ext_proc streams that h2load cannot be: since issue 13 a sealed call context
 * opens one stream only, so every stream needs its own first frame. Each stream sends
 * `heads[i]` (the request-headers message with its own context) and then the shared `tail`
 * (the body message, when there is one), half-closes, and waits for the trailers.
 */
export interface StreamLoad {
  /** host:port of the ext_proc service. */
  address: string;
  /** One first frame per stream; the run sends exactly this many streams. */
  heads: readonly Buffer[];
  /** Sent after the head on every stream (the shared body message), or null. */
  tail: Buffer | null;
  connections: number;
  /** Closed loop: concurrent streams per connection. Ignored when `rps` is set. */
  streams: number;
  /** Open loop at this total rate instead of a closed loop. */
  rps?: number;
  /** Called with a sample of the answers' raw gRPC bytes (every 32nd stream) to check what came back. */
  inspect?: (answer: Buffer) => void;
}

const HEADERS = {
  [constants.HTTP2_HEADER_METHOD]: 'POST',
  [constants.HTTP2_HEADER_PATH]: PROCESS_PATH,
  'content-type': 'application/grpc',
  te: 'trailers',
};

function openSession(address: string): Promise<ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const session = connect(`http://${address}`, { settings: { initialWindowSize: 4 * 1024 * 1024 } });
    session.once('connect', () => resolve(session));
    session.once('error', reject);
  });
}

interface Outcome {
  ok: boolean;
  ms: number;
}

function oneStream(session: ClientHttp2Session, head: Buffer, tail: Buffer | null, inspect?: (b: Buffer) => void): Promise<Outcome> {
  const started = performance.now();
  return new Promise((resolve) => {
    const req = session.request(HEADERS);
    const chunks: Buffer[] | null = inspect ? [] : null;
    let status: string | undefined;
    req.on('trailers', (t) => (status = String(t['grpc-status'] ?? '')));
    req.on('response', (h) => {
      if (h['grpc-status'] !== undefined) status = String(h['grpc-status']);
    });
    req.on('data', (d: Buffer) => chunks?.push(d));
    req.on('error', () => resolve({ ok: false, ms: performance.now() - started }));
    req.on('close', () => {
      if (chunks && inspect) inspect(Buffer.concat(chunks));
      resolve({ ok: status === '0', ms: performance.now() - started });
    });
    if (tail) {
      req.write(head);
      req.end(tail);
    } else req.end(head);
  });
}

/** Runs every stream of `load` once; throughput over the whole run, latencies of every stream. */
export async function runStreams(load: StreamLoad): Promise<H2loadResult> {
  const sessions = await Promise.all(Array.from({ length: load.connections }, () => openSession(load.address)));
  const latencies: number[] = [];
  let next = 0;
  let failed = 0;
  const take = (): number | null => (next < load.heads.length ? next++ : null);
  const send = async (i: number, session: ClientHttp2Session) => {
    const inspect = i % 32 === 0 ? load.inspect : undefined;
    const out = await oneStream(session, load.heads[i]!, load.tail, inspect);
    if (out.ok) latencies.push(out.ms);
    else failed++;
  };
  const started = performance.now();
  try {
    if (load.rps) await paced(load.rps, sessions, take, send);
    else {
      const loops = sessions.flatMap((s) =>
        Array.from({ length: load.streams }, async () => {
          for (let i = take(); i !== null; i = take()) await send(i, s);
        }),
      );
      await Promise.all(loops);
    }
  } finally {
    for (const s of sessions) s.close();
  }
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    rps: round(latencies.length / seconds, 0),
    requests: load.heads.length,
    succeeded: latencies.length,
    failed,
    p50Ms: round(percentile(latencies, 50)),
    p90Ms: round(percentile(latencies, 90)),
    p99Ms: round(percentile(latencies, 99)),
    maxMs: round(latencies[latencies.length - 1] ?? Number.NaN),
  };
}

/** Starts streams at `rps` in total, round-robin over the sessions, whatever the answers take. */
async function paced(rps: number, sessions: ClientHttp2Session[], take: () => number | null, send: (i: number, s: ClientHttp2Session) => Promise<void>) {
  const inFlight: Promise<void>[] = [];
  const t0 = performance.now();
  let started = 0;
  for (;;) {
    const due = Math.floor(((performance.now() - t0) / 1000) * rps);
    while (started < due) {
      const i = take();
      if (i === null) return void (await Promise.all(inFlight));
      inFlight.push(send(i, sessions[started % sessions.length]!));
      started++;
    }
    await new Promise((r) => setTimeout(r, 1));
  }
}
