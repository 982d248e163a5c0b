/** `keyward db migrate`: apply the versioned migrations (also done at every start). */
import { Command } from 'commander';
import { addDbOptions, openFromCli, type DbCliOptions } from '../db/cli-options.js';
import type { CliDeps } from './audit.js';

export function dbCommand(deps: CliDeps = {}): Command {
  const db = new Command('db').description('Database maintenance');
  addDbOptions(db.command('migrate'))
    .description('Apply pending migrations under an advisory lock (safe while other replicas start)')
    .addHelpText('after', '\nExamples:\n  keyward db migrate --config keyward.yaml\n  keyward db migrate --database-url postgres://keyward@db:5432/keyward')
    .action(async (opts: DbCliOptions) => {
      const out = deps.stdout ?? process.stdout;
      try {
        const { db: opened } = await openFromCli(opts, deps.env ?? process.env, true);
        try {
          const m = opened.migrations!;
          out.write(`${opened.url} schema ${opened.schema}: ${m.applied.length ? `applied ${m.applied.join(', ')}` : 'up to date'} (version ${m.current})\n`);
          out.write(m.appRole ? `writer role: ${m.appRole} (INSERT/SELECT; GRANT it to the service login)\n` : 'writer role: not created (no CREATEROLE); the append-only trigger still applies\n');
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
