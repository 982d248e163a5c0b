/**
 * The Postgres AuditSink. Group commit: events wait in a queue; one transaction writes everything
 * waiting (one multi-row INSERT per table) and moves the writer's chain head with a compare-and-set;
 * every `record()` resolves only after that COMMIT. One batch is in flight at a time, so the chain is
 * linear. A failed batch leaves the in-memory head unknown: the next batch re-reads it from chain_heads
 * under a row lock, so a commit whose outcome was lost can never fork the chain.
 */
import type { Pool, PoolClient, QueryConfig } from 'pg';
import { KeywardError } from '../errors.js';
import type { DbLog } from '../db/log.js';
import { quoteIdent } from '../db/sql.js';
import type { AuditSink } from './events.js';
import { insertStatements } from './insert-sql.js';
import { chainRows, eventFields, GENESIS_HASH, tableOf, type AuditTable, type ChainHead, type RecordableEvent, type Row } from './rows.js';

export interface PostgresAuditSinkOptions {
  readonly pool: Pool;
  readonly schema: string;
  readonly batchSize: number;
  readonly batchDelayMs: number;
  readonly commitDeadlineMs: number;
  /** This writer's chain name; a restarted writer with the same name continues its chain. */
  readonly writer: string;
  readonly log?: DbLog;
  /** Clock seam for recorded_at. */
  readonly now?: () => Date;
  /** End the pool on close() (when the sink owns it). Default false. */
  readonly endPoolOnClose?: boolean;
}

export interface AuditSinkStats {
  readonly batches: number;
  readonly rows: number;
  readonly failedBatches: number;
}

export interface PostgresAuditSink extends AuditSink {
  /** Calls, payloads and approval steps. Resolves after COMMIT; rejects `audit_unavailable` otherwise. */
  record(event: RecordableEvent): Promise<void>;
  stats(): AuditSinkStats;
}

interface Waiter {
  readonly table: AuditTable;
  readonly fields: Row;
  readonly deadlineAt: number;
  settled: boolean;
  resolve(): void;
  reject(e: Error): void;
}

class StaleHead extends Error {}

export function createPostgresAuditSink(options: PostgresAuditSinkOptions): PostgresAuditSink {
  const { pool, schema, writer, log } = options;
  const batchSize = Math.max(1, options.batchSize);
  const now = options.now ?? (() => new Date());
  const s = quoteIdent(schema);
  const queue: Waiter[] = [];
  const ensuredMonths = new Set<string>();
  let head: ChainHead | null = null;
  let flushing: Promise<void> | null = null;
  let delayTimer: NodeJS.Timeout | null = null;
  let closed = false;
  const stats = { batches: 0, rows: 0, failedBatches: 0 };

  const unavailable = (detail: string) => new KeywardError('audit_unavailable', detail);

  function record(event: RecordableEvent): Promise<void> {
    if (closed) return Promise.reject(unavailable('audit sink closed'));
    let fields: Row;
    try {
      fields = eventFields(event);
    } catch (e) {
      return Promise.reject(e);
    }
    return new Promise<void>((resolve, reject) => {
      const deadlineAt = Date.now() + options.commitDeadlineMs;
      const timer = setTimeout(() => settle(() => reject(unavailable('commit deadline exceeded'))), options.commitDeadlineMs);
      const waiter: Waiter = {
        table: tableOf(event),
        fields,
        deadlineAt,
        settled: false,
        resolve: () => settle(resolve),
        reject: (e) => settle(() => reject(e)),
      };
      function settle(done: () => void) {
        if (waiter.settled) return;
        waiter.settled = true;
        clearTimeout(timer);
        done();
      }
      queue.push(waiter);
      schedule();
    });
  }

  function schedule(): void {
    if (flushing) return; // the running flush takes whatever waits when it finishes
    if (queue.length >= batchSize) {
      startFlush();
    } else if (!delayTimer) {
      delayTimer = setTimeout(startFlush, options.batchDelayMs);
    }
  }

  function startFlush(): void {
    if (delayTimer) clearTimeout(delayTimer);
    delayTimer = null;
    if (flushing) return;
    flushing = flushLoop().finally(() => {
      flushing = null;
      if (queue.length > 0) schedule(); // arrived between the loop's last check and now
    });
  }

  async function flushLoop(): Promise<void> {
    while (queue.length > 0) {
      // Events whose caller already gave up are not written: the call was refused.
      const batch = queue.splice(0, batchSize).filter((w) => !w.settled);
      if (batch.length === 0) continue;
      try {
        await writeBatch(batch);
        stats.batches += 1;
        stats.rows += batch.length;
        for (const w of batch) w.resolve();
      } catch (e) {
        stats.failedBatches += 1;
        const code = (e as { code?: string }).code;
        log?.error({ writer, rows: batch.length, code: typeof code === 'string' ? code : 'error' }, 'audit batch not committed');
        for (const w of batch) w.reject(unavailable(e instanceof StaleHead ? 'chain head moved' : 'batch failed'));
      }
    }
  }

  async function writeBatch(batch: readonly Waiter[]): Promise<void> {
    const deadlineAt = Math.max(...batch.map((w) => w.deadlineAt));
    for (let attempt = 0; ; attempt++) {
      try {
        return await writeOnce(batch, deadlineAt);
      } catch (e) {
        head = null; // outcome unknown or stale: re-read the head next time
        if (!(e instanceof StaleHead) || attempt >= 1 || Date.now() >= deadlineAt) throw e;
      }
    }
  }

  async function writeOnce(batch: readonly Waiter[], deadlineAt: number): Promise<void> {
    const client = await connectWithin(pool, deadlineAt - Date.now());
    // A connection lost between two queries is emitted as 'error' on the checked-out client: without a
    // listener it would crash the process. The failing query reports it; this only keeps us alive.
    const onError = () => undefined;
    client.on('error', onError);
    // query_timeout is honoured by node-postgres per query, though @types/pg does not declare it.
    const q: Q = (text, values = []) => {
      const config: QueryConfig & { query_timeout: number } = { text, values, query_timeout: Math.max(1, deadlineAt - Date.now()) };
      return client.query(config);
    };
    let ok = false;
    try {
      const recordedAt = new Date(Math.max(now().getTime(), head ? Date.parse(head.recorded_at) : 0));
      const month = recordedAt.toISOString().slice(0, 7);
      if (!ensuredMonths.has(month)) {
        await q(`SELECT ${s}.ensure_partitions($1::timestamptz, $1::timestamptz + interval '1 month')`, [recordedAt.toISOString()]);
        ensuredMonths.add(month);
      }
      await q('BEGIN');
      const from = head ?? (await loadHead(q));
      const chained = chainRows(from, batch.map((w) => ({ table: w.table, fields: w.fields })), recordedAt);
      for (const st of insertStatements(schema, chained.rows)) await q(st.text, st.values);
      const moved = await q(`UPDATE ${s}.chain_heads SET seq = $1, hash = $2, recorded_at = $3 WHERE writer = $4 AND seq = $5`, [
        chained.head.seq,
        chained.head.hash,
        chained.head.recorded_at,
        writer,
        from.seq,
      ]);
      if (moved.rowCount !== 1) throw new StaleHead();
      await q('COMMIT');
      head = chained.head;
      ok = true;
    } finally {
      if (!ok) await client.query('ROLLBACK').catch(() => undefined);
      // A client that failed mid-transaction may be in any state: destroy it rather than reuse it.
      client.off('error', onError);
      client.release(!ok);
    }
  }

  type Q = (text: string, values?: unknown[]) => Promise<{ rows: Record<string, unknown>[]; rowCount: number | null }>;

  async function loadHead(q: Q): Promise<ChainHead> {
    await q(`INSERT INTO ${s}.chain_heads (writer, seq, hash, recorded_at) VALUES ($1, 0, $2, 'epoch') ON CONFLICT (writer) DO NOTHING`, [writer, GENESIS_HASH]);
    const { rows } = await q(`SELECT seq, hash, recorded_at FROM ${s}.chain_heads WHERE writer = $1 FOR UPDATE`, [writer]);
    const r = rows[0];
    if (!r) throw new Error('chain head missing');
    return { writer, seq: Number(r.seq), hash: String(r.hash), recorded_at: (r.recorded_at as Date).toISOString() };
  }

  return {
    record,
    stats: () => ({ ...stats }),
    async close() {
      closed = true;
      startFlush();
      while (flushing) await flushing;
      if (options.endPoolOnClose) await pool.end();
    },
  };
}

/** pool.connect() bounded by a deadline; a connection that arrives late is handed back. */
async function connectWithin(pool: Pool, ms: number): Promise<PoolClient> {
  if (ms <= 0) throw new Error('deadline passed before connecting');
  const pending = pool.connect();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('connect timeout')), ms);
  });
  try {
    return await Promise.race([pending, timeout]);
  } catch (e) {
    pending.then((c) => c.release(), () => undefined);
    throw e;
  } finally {
    clearTimeout(timer);
  }
}
