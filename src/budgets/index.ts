import type { Logger } from 'pino';
import type { BudgetStoreConfig } from '../config/sections/budgets.js';
import { createMemoryStore } from './memory-store.js';
import { createRedisStore } from './redis-store.js';
import type { CounterStore } from './store.js';

export { createBudgetGuard, type BudgetGuard, type BodyVerdict, type MaskingReading } from './guard.js';
export { createBudgetGauges } from './gauges.js';
export type { BudgetCaller } from './match.js';

/** Redis when budget_store.redis_url is set, else this replica's memory. Read once at start: a reload that changes redis_url or timeout is refused (store-change.ts). */
export function openCounterStore(config: BudgetStoreConfig, log: Logger): CounterStore {
  return config.redis_url === undefined ? createMemoryStore() : createRedisStore({ url: config.redis_url, timeoutMs: config.timeout, log });
}
