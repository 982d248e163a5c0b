import type { ConfigIssue } from '../config/load.js';
import type { BudgetStoreConfig } from '../config/sections/budgets.js';

/**
 * A reload may not change which counter store a running replica uses: the store is opened once at
 * start, and swapping it mid-flight would split one budget over two stores. Such a reload is refused
 * (the previous config keeps serving) with the key named. The URL is never quoted: it may hold a
 * password. key_prefix and fail_open are read per decision and apply live.
 */
export function storeChangeIssues(running: BudgetStoreConfig, next: BudgetStoreConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const kind = (c: BudgetStoreConfig) => (c.redis_url === undefined ? 'memory' : 'Redis');
  if (running.redis_url !== next.redis_url) {
    const what = kind(running) === kind(next) ? 'a different Redis URL' : `${kind(running)} → ${kind(next)} counters`;
    issues.push({ path: 'budget_store.redis_url', message: `changed (${what}): the counter store is opened at start, so this needs a restart; the running store keeps counting` });
  }
  if (running.timeout !== next.timeout) issues.push({ path: 'budget_store.timeout', message: 'changed: the counter store is opened at start, so this needs a restart' });
  return issues;
}
