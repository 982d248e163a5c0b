/**
 * `keyward db migrate`: apply the versioned migrations with a privileged credential (also done at start
 * unless `database.migrate: false`, the least-privilege setup where `serve` has no DDL rights).
 */
import { Command } from 'commander';
import { addDbOptions, openFromCli, type DbCliOptions } from '../db/cli-options.js';
import type { CliDeps } from './audit.js';

export function dbCommand(deps: CliDeps = {}): Command {
  const db = new Command('db').description('Database maintenance');
  addDbOptions(db.command('migrate'))
    .description('Apply pending migrations under an advisory lock (safe while other replicas start); connect as the schema owner, not as the service login')
    .option('--grant-to <login>', 'GRANT the writer role to this login (the role serve connects as); overrides database.grant_to')
    .addHelpText('after', '\nExamples:\n  keyward db migrate --config keyward.yaml\n  keyward db migrate --database-url postgres://keyward@db:5432/keyward')
    .action(async (opts: DbCliOptions & { grantTo?: string }) => {
      const out = deps.stdout ?? process.stdout;
      try {
        const { db: opened } = await openFromCli(opts, deps.env ?? process.env, true, opts.grantTo);
        try {
          const m = opened.migrations!;
          out.write(`${opened.url} schema ${opened.schema}: ${m.applied.length ? `applied ${m.applied.join(', ')}` : 'up to date'} (version ${m.current})\n`);
          out.write(m.appRole ? `writer role: ${m.appRole} (SELECT, INSERT on audit rows, its chain head only through the chain's functions)${m.grantedTo ? `, granted to ${m.grantedTo}` : '; GRANT it to the service login'}\n` : 'writer role: not created (no CREATEROLE); the append-only trigger still applies\n');
        } finally {
          await opened.close();
        }
      } catch (e) {
        (deps.stderr ?? process.stderr).write(`keyward db migrate: ${e instanceof Error ? e.message : String(e)}\n`);
        process.exitCode = 2;
      }
    });
  return db;
}
