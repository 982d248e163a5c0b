/**
 * `keyward budgets status|top`: who is near or over which budget, and which metrics and tags add
 * the new series. Reads the counters in Redis (budget_store.redis_url); in-memory counters live in
 * one replica's process: read that replica's /metrics (keyward_budget_remaining_ratio) instead.
 */
import type { Writable } from 'node:stream';
import { Command, InvalidArgumentError } from 'commander';
import { pino } from 'pino';
import { ConfigError, formatIssue, loadConfigFile } from '../config/load.js';
import { budgetStatus, budgetTop } from '../budgets/report.js';
import { createRedisStore } from '../budgets/redis-store.js';
import { CounterStoreUnavailable } from '../budgets/store.js';

export interface BudgetsCliDeps {
  readonly stdout?: Writable;
  readonly stderr?: Writable;
  readonly env?: NodeJS.ProcessEnv;
  readonly now?: () => number;
}

function share(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected a share such as 0.8');
  return n;
}

export function budgetsCommand(deps: BudgetsCliDeps = {}): Command {
  const out = () => deps.stdout ?? process.stdout;
  const err = () => deps.stderr ?? process.stderr;
  const cmd = new Command('budgets').description('Budget usage and the custom-metric series guard (counters in Redis).');

  /** Loads the config, opens Redis, runs the body; a bad config or unreachable Redis is one line and exit code 2. */
  const withStore =
    <O extends { config: string; json?: boolean }>(body: (ctx: { config: ReturnType<typeof loadConfigFile>; store: ReturnType<typeof createRedisStore>; opts: O }) => Promise<void>) =>
    async (opts: O) => {
      let config;
      try {
        config = loadConfigFile(opts.config, deps.env ? { env: deps.env } : {});
      } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
        err().write(e.issues.map((i) => `error config_invalid ${formatIssue(opts.config, i)}`).join('\n') + '\n');
        process.exitCode = 2;
        return;
      }
      const url = config.budget_store.redis_url;
      if (url === undefined) {
        err().write('keyward budgets: budget_store.redis_url is not set; in-memory counters are only in the replica (see its /metrics, keyward_budget_remaining_ratio)\n');
        process.exitCode = 2;
        return;
      }
      const store = createRedisStore({ url, timeoutMs: Math.max(config.budget_store.timeout, 2_000), log: pino({ level: 'silent' }) });
      try {
        await body({ config, store, opts });
      } catch (e) {
        if (!(e instanceof CounterStoreUnavailable)) throw e;
        err().write('keyward budgets: budget_unavailable: Redis could not be reached\n');
        process.exitCode = 2;
      } finally {
        await store.close();
      }
    };

  cmd
    .command('status')
    .description('Every identity a budget counted recently, most spent first: used / limit per window.')
    .requiredOption('-c, --config <file>', 'keyward YAML configuration')
    .option('--min-share <share>', 'only rows at or above this share of their limit (e.g. 0.8)', share, 0)
    .option('--json', 'one JSON object per line')
    .action(
      withStore<{ config: string; json?: boolean; minShare: number }>(async ({ config, store, opts }) => {
        const rows = (await budgetStatus(config.budgets, store, config.budget_store.key_prefix, (deps.now ?? Date.now)())).filter((r) => r.share >= opts.minShare);
        if (opts.json) for (const r of rows) out().write(JSON.stringify(r) + '\n');
        else {
          out().write(['budget', 'identity', 'window', 'quantity', 'used', 'limit', 'share', 'state'].join('\t') + '\n');
          for (const r of rows) out().write([r.budget, r.identity, r.window, r.quantity, r.used, r.limit, `${Math.round(r.share * 100)}%`, r.share >= 1 ? 'OVER' : r.share >= 0.8 ? 'near' : 'ok'].join('\t') + '\n');
        }
      }),
    );

  cmd
    .command('top')
    .description('Metrics adding the most new series per identity this hour, and the tags whose values vary most.')
    .requiredOption('-c, --config <file>', 'keyward YAML configuration')
    .option('-n, --limit <n>', 'rows to print', (v) => Number(v), 20)
    .option('--json', 'one JSON object per line')
    .action(
      withStore<{ config: string; json?: boolean; limit: number }>(async ({ config, store, opts }) => {
        const rows = (await budgetTop(config.budgets, store, config.budget_store.key_prefix, (deps.now ?? Date.now)())).slice(0, opts.limit);
        if (opts.json) for (const r of rows) out().write(JSON.stringify(r) + '\n');
        else {
          out().write(['budget', 'identity', 'metric', 'new_series', 'tags (distinct values)'].join('\t') + '\n');
          for (const r of rows) out().write([r.budget, r.identity, r.metric, r.newSeries, r.tags.slice(0, 3).map((x) => `${x.key}=${x.values}`).join(' ')].join('\t') + '\n');
        }
      }),
    );
  return cmd;
}
