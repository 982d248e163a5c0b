/**
 * The Postgres AuditSink. Group commit: events wait in a queue; one statement — hence one transaction
 * and one round trip — writes everything waiting (one multi-row INSERT per table) and moves the
 * writer's chain head with a compare-and-set; every `record()` resolves only after that COMMIT. One
 * batch is in flight at a time, so the chain is linear. A failed batch leaves the in-memory head
 * unknown: the next batch re-reads it, and the compare-and-set (which waits on the row lock of any
 * batch still committing) refuses to build on a stale head, so a lost commit can never fork the chain.
 */
import { createHash } from 'node:crypto';
import type { Pool, PoolClient, QueryConfig } from 'pg';
import { KeywardError } from '../errors.js';
import type { DbLog } from '../db/log.js';
import { quoteIdent } from '../db/sql.js';
import type { AuditEvent, AuditSink } from './events.js';
import { headMac, type ChainKey } from './chain-key.js';
import { batchStatement } from './insert-sql.js';
import { chainRows, eventFields, maskedBodyBytes, tableOf, type AuditTable, type ChainHead, type ChainedRow, type Row } from './rows.js';

/** Where committed rows and heads go besides Postgres (the witness): must return at once, never throw. */
export interface CommitObserver {
  committed(rows: readonly ChainedRow[], head: ChainHead): void;
  close(): Promise<void>;
}

export interface PostgresAuditSinkOptions {
  readonly pool: Pool;
  readonly schema: string;
  /** Flush as soon as this many events wait. */
  readonly batchSize: number;
  /** Most events one commit takes when more are waiting (everything queued during the previous commit). Default 4 × batchSize. */
  readonly maxBatchRows?: number;
  /**
   * Most masked-body bytes one commit takes (a batch always takes its first row). node-postgres
   * builds each statement in one growing buffer, copying it as it grows: a batch of four 5 MiB
   * bodies blocked the event loop for tens of milliseconds. Default: no limit.
   */
  readonly maxBatchBytes?: number;
  readonly batchDelayMs: number;
  /** Batches in flight at once (each waits for the previous one's commit inside Postgres). Default 2. */
  readonly pipeline?: number;
  readonly commitDeadlineMs: number;
  /** This writer's chain name; a restarted writer with the same name continues its chain. */
  readonly writer: string;
  readonly log?: DbLog;
  /** Clock seam for recorded_at. */
  readonly now?: () => Date;
  /** End the pool on close() (when the sink owns it). Default false. */
  readonly endPoolOnClose?: boolean;
  /** Authenticates every row and head (audit.chain_key); without it rows carry no MAC and verify cannot vouch. */
  readonly chainKey?: ChainKey;
  /** Told of every committed batch (the witness); closed with the sink. */
  readonly observer?: CommitObserver;
  /** Called after every group commit attempt (metrics). */
  readonly onBatch?: (rows: number, seconds: number, ok: boolean) => void;
}

export interface AuditSinkStats {
  readonly batches: number;
  readonly rows: number;
  readonly failedBatches: number;
}

export interface PostgresAuditSink extends AuditSink {
  /** Calls, payloads and approval steps. Resolves after COMMIT; rejects `audit_unavailable` otherwise. */
  record(event: AuditEvent): Promise<void>;
  stats(): AuditSinkStats;
  /** Events waiting for a group commit. */
  queueDepth(): number;
}

interface Waiter {
  readonly table: AuditTable;
  readonly fields: Row;
  /** performance.now() by which the caller is answered `audit_unavailable` if not committed. */
  readonly deadlineAt: number;
  settled: boolean;
  readonly resolve: () => void;
  readonly reject: (e: Error) => void;
}

class StaleHead extends Error {}
/** Nothing was written because the batch's deadline passed first (SQLSTATE KWD01: on the server). */
class DeadlinePassed extends Error {}
const DEADLINE_SQLSTATE = 'KWD01';

export function createPostgresAuditSink(options: PostgresAuditSinkOptions): PostgresAuditSink {
  const { pool, schema, writer, log } = options;
  const batchSize = Math.max(1, options.batchSize);
  const maxBatchRows = Math.max(batchSize, options.maxBatchRows ?? 4 * batchSize);
  const now = options.now ?? (() => new Date());
  const s = quoteIdent(schema);
  const pipeline = Math.max(1, options.pipeline ?? 2);
  const maxBatchBytes = options.maxBatchBytes ?? Infinity;
  /** Time kept, before the deadline, for the insert and the commit after the head's lock is had. */
  const commitMargin = Math.min(250, Math.max(20, options.commitDeadlineMs / 10));
  /** How many queued events the next batch takes: up to maxBatchRows, and maxBatchBytes of bodies. */
  const batchLength = (): number => {
    if (maxBatchBytes === Infinity) return maxBatchRows;
    let n = 0;
    let bytes = 0;
    while (n < queue.length && n < maxBatchRows) {
      bytes += maskedBodyBytes(queue[n]!.fields);
      if (n > 0 && bytes > maxBatchBytes) break;
      n += 1;
    }
    return n;
  };
  const queue: Waiter[] = [];
  const ensuredMonths = new Set<string>();
  /** Head after the last dispatched batch (optimistic); null = unknown, re-read before the next batch. */
  let tail: ChainHead | null = null;
  const inFlight = new Set<Promise<void>>();
  let delayTimer: NodeJS.Timeout | null = null;
  let immediate: NodeJS.Immediate | null = null;
  let closed = false;
  const stats = { batches: 0, rows: 0, failedBatches: 0 };

  const unavailable = (detail: string) => new KeywardError('audit_unavailable', detail);

  function record(event: AuditEvent): Promise<void> {
    if (closed) return Promise.reject(unavailable('audit sink closed'));
    let fields: Row;
    try {
      fields = eventFields(event);
    } catch (e) {
      return Promise.reject(e);
    }
    const table = tableOf(event);
    const deadlineAt = performance.now() + options.commitDeadlineMs;
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { table, fields, deadlineAt, settled: false, resolve, reject };
      queue.push(waiter);
      deadlines.track(waiter);
      schedule();
    });
  }

  function settle(w: Waiter, error?: Error): void {
    if (w.settled) return;
    w.settled = true;
    if (error) w.reject(error);
    else w.resolve();
    deadlines.settled(w);
  }

  /**
   * Commit deadlines with one timer for the whole sink rather than one per record: every waiter has
   * the same allowance, so in record order their deadlines only grow (performance.now() is
   * monotonic). The timer is armed for the oldest unanswered waiter; when it fires it refuses every
   * waiter past its deadline — queued or in a batch still committing — and re-arms for the next.
   * Answered waiters leave the front as they are answered (batches commit in order), so the list
   * holds about what is in flight.
   */
  const deadlines = (() => {
    const pending: Waiter[] = [];
    let first = 0;
    let timer: NodeJS.Timeout | null = null;
    const trim = () => {
      while (first < pending.length && pending[first]!.settled) first++;
      if (first === pending.length) {
        pending.length = 0;
        first = 0;
        if (timer) clearTimeout(timer);
        timer = null;
      } else if (first * 2 >= pending.length) {
        pending.splice(0, first);
        first = 0;
      }
    };
    const arm = () => {
      timer = first < pending.length ? setTimeout(expire, Math.max(1, pending[first]!.deadlineAt - performance.now())) : null;
    };
    function expire(): void {
      timer = null;
      const at = performance.now();
      for (; first < pending.length; first++) {
        const w = pending[first]!;
        if (w.settled) continue;
        if (w.deadlineAt > at) break;
        w.settled = true;
        w.reject(unavailable('commit deadline exceeded'));
      }
      trim();
      if (!timer) arm();
    }
    return {
      track(w: Waiter): void {
        pending.push(w);
        if (!timer) arm();
      },
      settled(w: Waiter): void {
        if (pending[first] === w) trim();
      },
    };
  })();

  function schedule(): void {
    if (queue.length === 0) return;
    if (queue.length >= batchSize || closed) pump();
    // Nothing committing: go now (after this turn, so events recorded together share a batch).
    // Something committing: gather what arrives meanwhile, up to batch_delay.
    else if (inFlight.size === 0) immediate ??= setImmediate(pump);
    else if (!delayTimer) delayTimer = setTimeout(pump, options.batchDelayMs);
  }

  /**
   * Dispatches batches while a pipeline slot is free. A second batch is chained on the first one's
   * head before that commits; its compare-and-set waits for the first and fails if the first failed.
   */
  function pump(): void {
    if (delayTimer) clearTimeout(delayTimer);
    delayTimer = null;
    if (immediate) clearImmediate(immediate);
    immediate = null;
    while (queue.length > 0 && inFlight.size < pipeline && (tail !== null || inFlight.size === 0)) {
      // Events whose caller already gave up are not written: the call was refused.
      const batch = queue.splice(0, batchLength()).filter((w) => !w.settled);
      if (batch.length === 0) continue;
      const from = tail;
      const chained = from ? chainBatch(from, batch) : null;
      if (chained) tail = chained.head;
      const job = runBatch(batch, chained).finally(() => {
        inFlight.delete(job);
        schedule();
      });
      inFlight.add(job);
    }
  }

  const chainBatch = (from: ChainHead, batch: readonly Waiter[]) =>
    chainRows(from, batch.map((w) => ({ table: w.table, fields: w.fields })), now(), options.chainKey);

  async function runBatch(batch: readonly Waiter[], chained: ReturnType<typeof chainRows> | null): Promise<void> {
    const deadlineAt = batch[batch.length - 1]!.deadlineAt; // the latest: deadlines grow in record order
    const started = performance.now();
    try {
      let attempt = chained;
      for (;;) {
        try {
          const committed = await writeOnce(attempt, batch, deadlineAt);
          if (tail === null && inFlight.size === 1) tail = committed.head; // resynchronised, nothing else pending
          handOver(committed);
          break;
        } catch (e) {
          tail = null; // outcome unknown or stale: later batches re-read the head
          if (!(e instanceof StaleHead) || performance.now() >= deadlineAt) throw e;
          attempt = null; // another batch (ours or a replica's with the same writer) moved the head: rechain
        }
      }
      stats.batches += 1;
      stats.rows += batch.length;
      options.onBatch?.(batch.length, (performance.now() - started) / 1000, true);
      for (const w of batch) settle(w);
    } catch (e) {
      stats.failedBatches += 1;
      options.onBatch?.(batch.length, (performance.now() - started) / 1000, false);
      const code = (e as { code?: string }).code;
      const expired = e instanceof DeadlinePassed || code === DEADLINE_SQLSTATE;
      log?.error({ writer, rows: batch.length, code: expired ? 'commit_deadline' : typeof code === 'string' ? code : 'error' }, 'audit batch not committed');
      // Known not written, within the margin of the deadline: each caller is refused at its own deadline.
      if (expired) return;
      const error = unavailable(e instanceof StaleHead ? 'chain head moved' : 'batch failed');
      for (const w of batch) settle(w, error);
    }
  }

  /**
   * Committed batches go to the witness after the callers have been answered: on the next turn of the
   * event loop, in commit order, so the export never delays a call. close() hands over what is left.
   */
  const toObserve: ReturnType<typeof chainRows>[] = [];
  let observeScheduled: NodeJS.Immediate | null = null;
  function handOver(committed: ReturnType<typeof chainRows>): void {
    if (!options.observer) return;
    toObserve.push(committed);
    observeScheduled ??= setImmediate(observeAll);
  }
  function observeAll(): void {
    if (observeScheduled) clearImmediate(observeScheduled);
    observeScheduled = null;
    for (const committed of toObserve.splice(0)) {
      try {
        options.observer?.committed(committed.rows, committed.head);
      } catch {
        // The witness is best effort by contract: it never decides whether a call goes on.
      }
    }
  }

  /** One statement: CAS the head and insert the rows. Returns the rows and new head once committed. */
  async function writeOnce(prechained: ReturnType<typeof chainRows> | null, batch: readonly Waiter[], deadlineAt: number): Promise<ReturnType<typeof chainRows>> {
    const client = await connectWithin(pool, deadlineAt - performance.now());
    // A connection lost between two queries is emitted as 'error' on the checked-out client: without a
    // listener it would crash the process. The failing query reports it; this only keeps us alive.
    const onError = () => undefined;
    client.on('error', onError);
    // query_timeout is honoured by node-postgres per query, though @types/pg does not declare it.
    const q: Q = (text, values = [], name?: string) => {
      const config: QueryConfig & { query_timeout: number } = { text, values, query_timeout: Math.max(1, Math.ceil(deadlineAt - performance.now())), ...(name ? { name } : {}) };
      return client.query(config);
    };
    let ok = false;
    try {
      const chained = prechained ?? chainBatch(await loadHead(q), batch);
      const month = chained.head.recorded_at.slice(0, 7);
      if (!ensuredMonths.has(month)) {
        await q(`SELECT ${s}.ensure_partitions($1::timestamptz, $1::timestamptz + interval '1 month')`, [chained.head.recorded_at]);
        ensuredMonths.add(month);
      }
      const fromSeq = chained.head.seq - batch.length;
      const key = options.chainKey;
      const auth = key ? { key_id: key.id, mac: headMac(key, chained.head) } : null;
      // The server refuses the batch if it gets the head's lock later than this: past it, the rows
      // could commit after their callers were refused at their deadline.
      const notAfterMs = deadlineAt - performance.now() - commitMargin;
      if (notAfterMs <= 0) throw new DeadlinePassed();
      const st = batchStatement(schema, chained.rows, fromSeq, chained.head, auth, notAfterMs);
      const done = await q(st.text, st.values, preparedName(st.text));
      ok = true; // the connection is healthy either way
      if (done.rowCount !== 1) throw new StaleHead();
      return chained;
    } finally {
      // A client that failed mid-statement may be in any state: destroy it rather than reuse it.
      client.off('error', onError);
      client.release(!ok);
    }
  }

  type Q = (text: string, values?: unknown[], name?: string) => Promise<{ rows: Record<string, unknown>[]; rowCount: number | null }>;

  async function loadHead(q: Q): Promise<ChainHead> {
    await q(`SELECT ${s}.open_chain_head($1::text)`, [writer]);
    const { rows } = await q(`SELECT seq, hash, recorded_at FROM ${s}.chain_heads WHERE writer = $1`, [writer]);
    const r = rows[0];
    if (!r) throw new Error('chain head missing');
    return { writer, seq: Number(r.seq), hash: String(r.hash), recorded_at: (r.recorded_at as Date).toISOString() };
  }

  return {
    record,
    stats: () => ({ ...stats }),
    queueDepth: () => queue.length,
    async close() {
      closed = true;
      pump();
      while (inFlight.size > 0) await Promise.all([...inFlight]);
      observeAll();
      await options.observer?.close().catch(() => undefined);
      if (options.endPoolOnClose) await pool.end();
    },
  };
}

const preparedNames = new Map<string, string>();

/**
 * The batch statement's text depends only on the schema and which tables the batch touches (its
 * arrays are parameters): a few texts, each parsed and planned once per connection as a named
 * prepared statement instead of once per batch. The name is derived from the text, so two sinks
 * sharing a connection never collide.
 */
function preparedName(text: string): string {
  let name = preparedNames.get(text);
  if (name === undefined) {
    name = `keyward_audit_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`;
    preparedNames.set(text, name);
  }
  return name;
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
