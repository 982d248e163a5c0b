/**
 * Two chains per replica. A writer's chain commits one batch after the other, so every call row queued
 * behind a batch of masked bodies waited for their insert (Postgres compresses 5 MiB of JSON in
 * 150-300 ms): four agents sending large log batches held every other agent's Check for a second.
 * Payload rows therefore go to a chain of their own, `<writer>/bodies`, committed beside the calls
 * chain; both are keyed, witnessed and verified like any writer, and joined by request_id.
 */
import type { AuditEvent } from './events.js';
import { createPostgresAuditSink, type CommitObserver, type PostgresAuditSink, type PostgresAuditSinkOptions } from './postgres-sink.js';

/** The chain payload rows of `writer` are written to. */
export const bodiesWriter = (writer: string): string => `${writer}/bodies`;

const BODY_BATCH_BYTES = 1024 * 1024;

export function createLanedAuditSink(options: PostgresAuditSinkOptions): PostgresAuditSink {
  const observer = options.observer;
  // Each lane tells the shared observer of its commits; only this sink closes it, once, after both.
  const shared: CommitObserver | undefined = observer && { committed: (rows, head) => observer.committed(rows, head), close: async () => undefined };
  const lane = (writer: string, maxBatchBytes?: number) =>
    createPostgresAuditSink({ ...options, writer, endPoolOnClose: false, ...(maxBatchBytes ? { maxBatchBytes } : {}), ...(shared ? { observer: shared } : {}) });
  const calls = lane(options.writer);
  // A 5 MiB body commits alone, small ones together (see maxBatchBytes).
  const bodies = lane(bodiesWriter(options.writer), BODY_BATCH_BYTES);
  const laneOf = (event: AuditEvent) => (event.kind === 'payload' ? bodies : calls);

  return {
    record: (event) => laneOf(event).record(event),
    stats() {
      const a = calls.stats();
      const b = bodies.stats();
      return { batches: a.batches + b.batches, rows: a.rows + b.rows, failedBatches: a.failedBatches + b.failedBatches };
    },
    queueDepth: () => calls.queueDepth() + bodies.queueDepth(),
    async close() {
      await Promise.all([calls.close(), bodies.close()]);
      await observer?.close().catch(() => undefined);
      if (options.endPoolOnClose) await options.pool.end();
    },
  };
}
