/**
 * The witness publisher: after each committed batch, every row goes to the row sinks (OTLP) and, every
 * `everyRows` rows or `everyMs` milliseconds, the writer's head — signed with the chain key — goes to
 * every sink (OTLP, the file). Nothing here waits: a sink queues or drops, and counts what it dropped;
 * the next head says how many records were lost since the previous one.
 */
import { witnessMac, type ChainKey } from './chain-key.js';
import type { CommitObserver } from './postgres-sink.js';
import type { ChainHead, ChainedRow } from './rows.js';
import type { WitnessHead } from './witness-check.js';

export interface WitnessSink {
  /** Every committed row (optional: a file witness takes heads only). */
  row?(row: ChainedRow): void;
  head(head: WitnessHead): void;
  /** Records this sink dropped since it started. */
  dropped(): number;
  close(): Promise<void>;
}

export interface WitnessOptions {
  readonly key: ChainKey;
  readonly sinks: readonly WitnessSink[];
  readonly everyRows: number;
  readonly everyMs: number;
  readonly now?: () => Date;
}

export function signHead(key: ChainKey, head: ChainHead, time: Date, dropped: number): WitnessHead {
  const content = { writer: head.writer, seq: head.seq, hash: head.hash, recorded_at: head.recorded_at, time: time.toISOString(), dropped };
  return { ...content, key_id: key.id, mac: witnessMac(key, content) };
}

export function createWitness(options: WitnessOptions): CommitObserver & { publish(): void } {
  const now = options.now ?? (() => new Date());
  // One head per writer: a replica writes two chains (lanes.ts), each witnessed on its own.
  const latest = new Map<string, ChainHead>();
  const published = new Map<string, number>();
  let sinceHead = 0;
  let droppedReported = 0;
  const totalDropped = () => options.sinks.reduce((n, s) => n + s.dropped(), 0);

  const publish = () => {
    sinceHead = 0;
    for (const [writer, h] of latest) {
      if (published.get(writer) === h.seq) continue;
      const total = totalDropped();
      const head = signHead(options.key, h, now(), total - droppedReported);
      droppedReported = total;
      published.set(writer, h.seq);
      for (const s of options.sinks) s.head(head);
    }
  };
  const timer = setInterval(publish, options.everyMs);
  timer.unref();

  return {
    publish,
    committed(rows, head) {
      for (const s of options.sinks) if (s.row) for (const r of rows) s.row(r);
      const known = latest.get(head.writer);
      if (!known || head.seq > known.seq) latest.set(head.writer, head);
      sinceHead += rows.length;
      if (sinceHead >= options.everyRows) publish();
    },
    async close() {
      clearInterval(timer);
      publish();
      await Promise.all(options.sinks.map((s) => s.close().catch(() => undefined)));
    },
  };
}
