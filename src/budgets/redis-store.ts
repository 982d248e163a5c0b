import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { createConsumeBatcher } from './consume-batch.js';
import { CONSUME_LUA, SERIES_LUA } from './lua.js';
import { CounterStoreUnavailable, type CounterStore, type SeriesCheck, type SeriesResult, type SeriesVerdict } from './store.js';

export interface RedisStoreOptions {
  readonly url: string;
  /** One round trip (and connecting) past this fails: the guard decides budget_unavailable. */
  readonly timeoutMs: number;
  readonly log: Logger;
}

/** The scripts defined on the client (defineCommand: EVALSHA, EVAL once on NOSCRIPT). */
interface ScriptedRedis extends Redis {
  kwConsume(numKeys: number, ...args: string[]): Promise<string>;
  kwSeries(numKeys: number, ...args: (string | number)[]): Promise<number[]>;
}

/**
 * Counters shared by every replica. A down Redis fails fast instead of queueing: no offline queue,
 * no per-command retries, a command timeout; the client keeps reconnecting in the background, so
 * calls succeed again as soon as Redis is back.
 */
export function createRedisStore(options: RedisStoreOptions): CounterStore {
  const redis = new Redis(options.url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: options.timeoutMs,
    connectTimeout: Math.max(options.timeoutMs, 100),
    retryStrategy: (times) => Math.min(50 * times, 1_000),
    lazyConnect: false,
    // No auto-pipelining: the decisions of one event-loop turn already go out as one script call
    // (consume-batch.ts), and ioredis's pipeline per command cost more than it saved.
    enableAutoPipelining: false,
  }) as ScriptedRedis;
  redis.defineCommand('kwConsume', { lua: CONSUME_LUA });
  redis.defineCommand('kwSeries', { lua: SERIES_LUA });
  let down = false;
  // Before the first connection there is no offline queue to wait in: a call that arrives while the
  // client is still connecting waits for it, at most one timeout.
  let everReady = false;
  const firstReady = new Promise<void>((resolve) => redis.once('ready', () => resolve()));
  firstReady.then(() => (everReady = true), () => undefined);
  redis.on('error', (e: Error & { code?: string }) => {
    if (!down) options.log.warn({ code: 'budget_unavailable', err_code: e.code ?? e.name }, 'budget counters: Redis unreachable');
    down = true;
  });
  redis.on('ready', () => {
    if (down) options.log.info({}, 'budget counters: Redis reachable again');
    down = false;
  });

  // Any failure of a script call (not connected, timeout, script error) rejects its decisions as unavailable.
  const unavailable = () => {
    throw new CounterStoreUnavailable();
  };
  const batch = createConsumeBatcher((keys, args) => redis.kwConsume(keys.length, ...keys, ...args).catch(unavailable));

  /** Any client failure (not connected, timeout, script error) is one thing to the caller. */
  async function guarded<T>(run: () => Promise<T>): Promise<T> {
    try {
      if (!everReady) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([firstReady, new Promise((r) => (timer = setTimeout(r, options.timeoutMs)))]);
        clearTimeout(timer);
      }
      return await run();
    } catch {
      throw new CounterStoreUnavailable();
    }
  }

  return {
    kind: 'redis',
    // Once connected, a decision goes straight to the batcher (its rejections are already CounterStoreUnavailable).
    consume: (checks, nowMs) => (checks.length === 0 ? Promise.resolve({ refused: -1, used: [] }) : everReady ? batch.consume(checks, nowMs) : guarded(() => batch.consume(checks, nowMs))),
    series: (check: SeriesCheck, nowMs) =>
      guarded(async () => {
        const keys = [...check.sets, ...check.hlls, check.index];
        const out = await redis.kwSeries(keys.length, ...keys, check.sets.length, check.max, check.mode, check.ttlMs, nowMs, check.scope, ...check.ids);
        return { before: Number(out[0]), verdicts: out.slice(1).map((v) => Number(v) as SeriesVerdict) } satisfies SeriesResult;
      }),
    noteNewSeries: (hash, counts, distinct, ttlMs) =>
      guarded(async () => {
        const p = redis.pipeline();
        for (const [field, n] of counts) p.hincrby(hash, field, n);
        p.pexpire(hash, ttlMs);
        for (const [key, values] of distinct) {
          p.pfadd(key, ...values);
          p.pexpire(key, ttlMs);
        }
        await p.exec();
      }),
    scopes: (index, sinceMs) => guarded(() => redis.zrangebyscore(index, sinceMs, '+inf')),
    hashes: (keys) =>
      guarded(async () => {
        if (keys.length === 0) return [];
        const p = redis.pipeline();
        for (const k of keys) p.hgetall(k);
        const res = (await p.exec()) ?? [];
        return res.map(([err, v]) => {
          if (err) throw err;
          return v as Record<string, string>;
        });
      }),
    distinct: (hlls) => guarded(() => (hlls.length === 0 ? Promise.resolve(0) : redis.pfcount(...hlls))),
    async ping() {
      try {
        return (await redis.ping()) === 'PONG';
      } catch {
        return false;
      }
    },
    async close() {
      redis.disconnect();
    },
  };
}
