import pg from 'pg';
import type { Logger } from 'pino';

export interface ApprovalListener {
  /** Resolves 'changed' when the approval's state changes on any replica, or 'timeout'. Register before reading state. */
  wait(id: string, ms: number, signal?: AbortSignal): { done: Promise<'changed' | 'timeout' | 'aborted'>; cancel(): void };
  /** Every change, for live pages (server-sent events). Returns an unsubscribe function. */
  onChange(fn: (id: string) => void): () => void;
  close(): Promise<void>;
}

/**
 * One LISTEN connection per replica. A decision recorded on any replica NOTIFYs the channel inside
 * its transaction, so held Checks everywhere wake at COMMIT: no polling in the hot path. The
 * connection reconnects by itself; while it is down, waiters fall back to their timeout.
 */
export function createApprovalListener(options: { pool: pg.Pool; channel: string; log: Logger }): ApprovalListener {
  const waiters = new Map<string, Set<() => void>>();
  const subscribers = new Set<(id: string) => void>();
  let client: pg.PoolClient | null = null;
  let closed = false;
  let retry: NodeJS.Timeout | undefined;

  const notify = (id: string) => {
    for (const fn of waiters.get(id) ?? []) fn();
    for (const fn of subscribers) fn(id);
  };

  async function connect(delay = 0): Promise<void> {
    if (closed) return;
    let c: pg.PoolClient;
    try {
      // A pooled connection kept for as long as it lives: LISTEN is per session.
      c = await options.pool.connect();
    } catch {
      scheduleRetry(delay);
      return;
    }
    c.on('notification', (msg) => msg.payload && notify(msg.payload));
    c.on('error', () => reconnect(c));
    c.on('end', () => reconnect(c));
    try {
      await c.query(`LISTEN "${options.channel.replace(/"/g, '')}"`);
      client = c;
      if (delay > 0) options.log.info({ channel: options.channel }, 'approval listener reconnected');
    } catch {
      reconnect(c, delay);
    }
  }

  function reconnect(c: pg.PoolClient, delay = 0) {
    if (client === c) client = null;
    c.removeAllListeners('end');
    c.removeAllListeners('error');
    c.on('error', () => undefined);
    try {
      c.release(true);
    } catch {
      // already released
    }
    scheduleRetry(delay);
  }

  function scheduleRetry(delay: number) {
    if (closed || retry) return;
    const next = Math.min(Math.max(delay * 2, 250), 5_000);
    retry = setTimeout(() => {
      retry = undefined;
      void connect(next);
    }, next);
    retry.unref();
  }

  void connect();

  return {
    wait(id, ms, signal) {
      let cancel = () => {};
      const done = new Promise<'changed' | 'timeout' | 'aborted'>((resolve) => {
        const set = waiters.get(id) ?? new Set();
        waiters.set(id, set);
        const finish = (why: 'changed' | 'timeout' | 'aborted') => {
          clearTimeout(timer);
          set.delete(wake);
          if (set.size === 0) waiters.delete(id);
          signal?.removeEventListener('abort', onAbort);
          resolve(why);
        };
        const wake = () => finish('changed');
        const onAbort = () => finish('aborted');
        const timer = setTimeout(() => finish('timeout'), ms);
        set.add(wake);
        signal?.addEventListener('abort', onAbort);
        cancel = () => finish('aborted');
      });
      return { done, cancel: () => cancel() };
    },
    onChange(fn) {
      subscribers.add(fn);
      return () => subscribers.delete(fn);
    },
    async close() {
      closed = true;
      clearTimeout(retry);
      for (const set of waiters.values()) for (const fn of set) fn();
      const c = client;
      client = null;
      if (c) {
        await c.query(`UNLISTEN *`).catch(() => undefined);
        c.removeAllListeners('end');
        c.release();
      }
    },
  };
}
