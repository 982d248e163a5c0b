/**
 * `keyward audit …`: what a compliance reviewer runs. search / show / replay / export read the
 * compliance views; verify walks every hash chain; purge is the one privileged path that removes rows.
 */
import { createWriteStream, readFileSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { once } from 'node:events';
import { Command, InvalidArgumentError, Option } from 'commander';
import { cellText, csvLine, jsonLine, terminalJson, terminalText, textTable } from '../audit/format.js';
import { purgeAudit } from '../audit/purge.js';
import { readWitnessFiles } from '../audit/file-witness.js';
import { EXPORT_VIEWS, exportSql, replaySql, resolveRequestId, searchSql, showRequest, type ExportView } from '../audit/queries.js';
import { verifyAudit } from '../audit/verify.js';
import { verifyKeyring } from '../audit/sink-options.js';
import type { BreakReason } from '../audit/chain-walk.js';
import type { Decision } from '../audit/events.js';
import { OPERATION_CLASSES } from '../config/schema.js';
import { parseTimeArg } from './time-arg.js';

/** The values calls.decision takes (a held call is `pending`; a refusal by keyward's own failure is `error`). */
const DECISIONS: readonly Decision[] = ['allow', 'deny', 'pending', 'error'];
import { addDbOptions, openFromCli, type DbCliOptions } from '../db/cli-options.js';
import { streamRows } from '../db/cursor.js';
import type { Database } from '../db/open.js';

export interface CliDeps {
  readonly stdout?: Writable;
  readonly stderr?: Writable;
  readonly env?: NodeJS.ProcessEnv;
}

const DB_HELP = `
Database: --database-url, else database.url from --config, else DATABASE_URL, else the embedded
Postgres under database.data_dir. Tables and views live in database.schema (default "keyward").`;

const parseTime = (value: string): Date => parseTimeArg(value);

function parseLimit(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

async function write(out: Writable, text: string): Promise<void> {
  if (!out.write(text)) await once(out, 'drain');
}

/** Opens the database, runs the body, closes it; library errors become a short line and exit code 2. */
function withDatabase<O extends DbCliOptions>(deps: CliDeps, body: (db: Database, opts: O, ctx: Awaited<ReturnType<typeof openFromCli>>['ctx']) => Promise<number>) {
  return async (opts: O): Promise<void> => {
    const stderr = deps.stderr ?? process.stderr;
    let db: Database | null = null;
    try {
      const opened = await openFromCli(opts, deps.env ?? process.env, false);
      db = opened.db;
      process.exitCode = await body(db, opts, opened.ctx);
    } catch (e) {
      const code = (e as { code?: unknown } | undefined)?.code;
      const hint = code === '42P01' ? ' (audit schema not found: run `keyward db migrate`)' : '';
      stderr.write(`keyward audit: ${e instanceof Error ? e.message : String(e)}${hint}\n`);
      process.exitCode = 2;
    } finally {
      await db?.close();
    }
  };
}

export function auditCommand(deps: CliDeps = {}): Command {
  const stdout = () => deps.stdout ?? process.stdout;
  const stderr = () => deps.stderr ?? process.stderr;
  const audit = new Command('audit').description('Search, replay, export and verify the audit record').addHelpText('after', DB_HELP);

  interface SearchOpts extends DbCliOptions {
    subject?: string;
    connection?: string;
    class?: string;
    decision?: string;
    since?: Date;
    until?: Date;
    limit: number;
    format: 'table' | 'jsonl';
  }
  addDbOptions(audit.command('search'))
    .description('List calls matching filters, oldest first')
    .option('--subject <subject>', 'agent subject (token sub)')
    .option('--connection <name>', 'Datadog connection')
    .addOption(new Option('--class <class>', 'operation class').choices(OPERATION_CLASSES))
    .addOption(new Option('--decision <decision>', 'what ext_authz decided').choices(DECISIONS))
    .option('--since <time>', 'from this time (inclusive)', parseTime)
    .option('--until <time>', 'up to this time (exclusive)', parseTime)
    .option('--limit <n>', 'at most this many rows', parseLimit, 1000)
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'jsonl']).default('table'))
    .addHelpText('after', `\nExamples:\n  keyward audit search --subject ci-agent --since 24h\n  keyward audit search --class destructive --since yesterday\n  keyward audit search --decision deny --format jsonl --config keyward.yaml${DB_HELP}`)
    .action(
      withDatabase<SearchOpts>(deps, async (db, o) => {
        const sql = searchSql(db.schema, { subject: o.subject, connection: o.connection, operationClass: o.class, decision: o.decision, since: o.since, until: o.until, limit: o.limit });
        const { rows } = await db.pool.query(sql.text, sql.values);
        if (o.format === 'jsonl') for (const r of rows) await write(stdout(), jsonLine(r));
        else await write(stdout(), textTable(['time', 'request_id', 'subject', 'connection', 'method', 'path', 'operation_class', 'decision', 'rule', 'reason_code'], rows));
        return 0;
      }),
    );

  addDbOptions(audit.command('show').argument('<request-id>', 'request id (x-request-id) of the call, or a unique prefix of it'))
    .description('Show one call with its payload events and approval steps, as JSON')
    .addHelpText('after', `\nExample:\n  keyward audit show 3f2c9d8e-1b7a-4c1e-9a55-0d3e2b7c1a90${DB_HELP}`)
    .action(async (requestId: string, opts: DbCliOptions) =>
      withDatabase<DbCliOptions>(deps, async (db) => {
        const lookup = await resolveRequestId(db.pool, db.schema, requestId);
        if (lookup.kind === 'ambiguous') {
          stderr().write(`keyward audit: ${JSON.stringify(requestId)} is the start of several request ids: ${lookup.candidates.join(', ')}${lookup.candidates.length > 5 ? ', …' : ''}; type more of it\n`);
          return 2;
        }
        const record = await showRequest(db.pool, db.schema, lookup.kind === 'found' ? lookup.id : requestId);
        if (!record.call && record.payloads.length === 0 && record.approvals.length === 0) {
          stderr().write(`keyward audit: no audit record for request id ${terminalJson(requestId)}\n`);
          return 1;
        }
        await write(stdout(), terminalJson(record, 2) + '\n');
        return 0;
      })(opts),
    );

  interface ReplayOpts extends DbCliOptions {
    subject: string;
    since: Date;
    until?: Date;
    format: 'text' | 'jsonl';
  }
  addDbOptions(audit.command('replay'))
    .description("Replay an agent's session in order: calls, approvals, masked bodies")
    .requiredOption('--subject <subject>', 'agent subject')
    .requiredOption('--since <time>', 'from this time', parseTime)
    .option('--until <time>', 'up to this time (exclusive)', parseTime)
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'jsonl']).default('text'))
    .addHelpText('after', `\nExample:\n  keyward audit replay --subject ci-agent --since 2025-03-01T09:00:00Z${DB_HELP}`)
    .action(
      withDatabase<ReplayOpts>(deps, async (db, o) => {
        const sql = replaySql(db.schema, o.subject, o.since, o.until);
        for await (const r of streamRows<{ time: Date; event: string; request_id: string; data: Record<string, unknown> }>(db.pool, sql.text, sql.values)) {
          await write(stdout(), o.format === 'jsonl' ? jsonLine({ time: r.time, event: r.event, request_id: r.request_id, ...r.data }) : replayText(r.event, r.data));
        }
        return 0;
      }),
    );

  interface ExportOpts extends DbCliOptions {
    format: 'jsonl' | 'csv';
    view: ExportView;
    out?: string;
    since?: Date;
    until?: Date;
  }
  addDbOptions(audit.command('export'))
    .description('Stream a compliance view to a file or stdout (server-side cursor; progress on stderr)')
    .addOption(new Option('--format <format>', 'output format').choices(['jsonl', 'csv']).default('jsonl'))
    .addOption(new Option('--view <view>', 'which view').choices([...EXPORT_VIEWS]).default('calls'))
    .option('--out <file>', 'write here instead of stdout')
    .option('--since <time>', 'from this time (inclusive)', parseTime)
    .option('--until <time>', 'up to this time (exclusive)', parseTime)
    .addHelpText('after', `\nExamples:\n  keyward audit export --format csv --out calls.csv\n  keyward audit export --view findings --since 2025-01-01 --until 2025-04-01 > q1-findings.jsonl${DB_HELP}`)
    .action(
      withDatabase<ExportOpts>(deps, async (db, o) => {
        const out = o.out ? createWriteStream(o.out) : stdout();
        const sql = exportSql(db.schema, o.view, o.since, o.until);
        let n = 0;
        let columns: string[] | null = null;
        for await (const row of streamRows(db.pool, sql.text, sql.values)) {
          if (o.format === 'csv') {
            if (!columns) await write(out, csvLine((columns = Object.keys(row))));
            await write(out, csvLine(columns.map((c) => row[c])));
          } else await write(out, jsonLine(row));
          if (++n % 10_000 === 0) stderr().write(`exported ${n} rows…\n`);
        }
        if (o.out) await new Promise<void>((resolve) => out.end(() => resolve()));
        stderr().write(`exported ${n} rows from audit_${o.view}${o.out ? ` to ${o.out}` : ''}\n`);
        return 0;
      }),
    );

  interface VerifyOpts extends DbCliOptions {
    format: 'text' | 'json';
    witness?: string;
  }
  addDbOptions(audit.command('verify'))
    .description('Check every writer chain, its MACs and heads, retention checkpoints and a witness; exit 0 only when it can vouch for the trail')
    .addOption(new Option('--format <format>', 'output format').choices(['text', 'json']).default('text'))
    .option('--witness <file>', 'witness file (JSON lines of signed heads, audit.witness.file; its rotated FILE.* beside it are read too): catches truncation and rollback')
    .addHelpText(
      'after',
      `\nExit: 0 verified and vouched for; 1 something was changed (named); 3 consistent but not vouched for (no chain key).\nExample:\n  keyward audit verify --config keyward.yaml --witness /var/lib/keyward/witness.jsonl   # audit.chain_key, retired_chain_keys, checkpoint_key${DB_HELP}`,
    )
    .action(
      withDatabase<VerifyOpts>(deps, async (db, o, ctx) => {
        const witness = o.witness === undefined ? undefined : readWitnessFiles(o.witness);
        const keyring = verifyKeyring(ctx.audit);
        const report = await verifyAudit(db.pool, {
          schema: db.schema,
          checkpointKey: ctx.audit.checkpoint_key,
          ...(keyring ? { keyring } : {}),
          ...(witness ? { witness } : {}),
        });
        if (o.format === 'json') await write(stdout(), JSON.stringify(report, null, 2) + '\n');
        else {
          for (const w of report.writers) {
            await write(
              stdout(),
              `${w.ok ? 'ok  ' : 'FAIL'} writer ${w.writer}: ${w.rows} rows${w.rows ? `, seq ${w.first_seq}..${w.last_seq}` : ''}${w.checkpoint_seq !== null ? ` (after checkpoint ${w.checkpoint_seq})` : ''}${w.skipped ? `, ${w.skipped} not verified` : ''}\n`,
            );
          }
          for (const b of report.breaks) {
            await write(stdout(), `broken: writer ${b.writer} seq ${b.seq}${b.request_id ? ` request_id ${b.request_id}` : ''} in ${b.table}: ${b.reason} — ${BREAK_TEXT[b.reason]}\n`);
          }
          if (report.unknown_writers.length) await write(stdout(), `writers with no chain head (keyward has no record of them): ${report.unknown_writers.join(', ')}\n`);
          if (report.witness?.unwitnessed_writers.length) await write(stdout(), `writers the witness has never seen: ${report.witness.unwitnessed_writers.join(', ')}\n`);
          for (const u of report.unvouched) await write(stdout(), `cannot vouch: ${u}\n`);
          await write(
            stdout(),
            !report.ok ? 'verification FAILED\n' : report.vouched ? `verified ${report.rows} rows\n` : `chain consistent over ${report.rows} rows, but keyward CANNOT VOUCH for it\n`,
          );
        }
        return !report.ok ? 1 : report.vouched ? 0 : 3;
      }),
    );

  interface PurgeOpts extends DbCliOptions {
    before: Date;
    dryRun?: boolean;
  }
  addDbOptions(audit.command('purge'))
    .description('Drop whole monthly partitions ending on or before DATE, leaving checkpoints (needs the table owner)')
    .requiredOption('--before <date>', 'purge months that end on or before this date', parseTime)
    .option('--dry-run', 'show what would be dropped, change nothing')
    .addHelpText('after', `\nExample:\n  keyward audit purge --before 2024-01-01 --dry-run --config keyward.yaml${DB_HELP}`)
    .action(
      withDatabase<PurgeOpts>(deps, async (db, o, ctx) => {
        if (!ctx.audit.checkpoint_key) {
          stderr().write('keyward audit purge: audit.checkpoint_key is required: an unsigned checkpoint could hide any deleted range\n');
          return 2;
        }
        const report = await purgeAudit(db.pool, {
          schema: db.schema,
          before: o.before,
          dryRun: o.dryRun ?? false,
          checkpointKey: ctx.audit.checkpoint_key,
        });
        const verb = report.dryRun ? 'would drop' : 'dropped';
        await write(stdout(), report.partitions.length ? `${verb} ${report.partitions.join(', ')}\n` : 'nothing to purge\n');
        for (const c of report.checkpoints) await write(stdout(), `checkpoint writer ${c.writer} seq ${c.seq}${c.signature ? ' (signed)' : ''}\n`);
        return 0;
      }),
    );
  return audit;
}

/** What each break means, in a reviewer's words. */
const BREAK_TEXT: Record<BreakReason, string> = {
  seq_gap: 'rows are missing here',
  prev_hash_mismatch: 'the row does not follow the previous one (rows removed or reordered)',
  hash_mismatch: 'the row was changed after it was written',
  rows_missing_at_end: 'the newest rows were deleted',
  row_unauthenticated: 'the row has no MAC: not written by keyward with a chain key',
  unknown_key_id: 'the row names a chain key this config does not know',
  mac_invalid: 'the row MAC is wrong: rewritten or invented without the chain key',
  rows_before_checkpoint: 'rows remain before a retention checkpoint: the checkpoint does not match a purge',
  head_missing: 'rows of a writer that has no chain head',
  head_hash_mismatch: 'the chain head does not match the last row',
  head_mac_invalid: 'the chain head was moved without the chain key',
  witness_truncation: 'rows the witness saw are gone (truncation)',
  witness_rollback: 'the chain head is behind a head the witness saw (rollback)',
  witness_hash_mismatch: 'the row at a witnessed head has another hash (rewritten)',
  witness_head_forged: 'a witness line whose MAC does not verify (ignored)',
  checkpoint_unsigned: 'a retention checkpoint has no signature',
  checkpoint_chain_broken: 'retention checkpoints were removed or reordered',
  checkpoint_hash_mismatch: 'a retention checkpoint was changed',
  checkpoint_signature_invalid: 'a retention checkpoint is not signed with audit.checkpoint_key',
};

function replayText(event: string, data: Record<string, unknown>): string {
  // Every value an agent could have shaped is escaped for the terminal: one event, one line.
  const d = Object.fromEntries(Object.entries(data).map(([k, v]) => [k, v === null || v === undefined ? v : terminalText(typeof v === 'string' ? v : cellText(v))]));
  const time = String(d.time ?? '');
  if (event === 'call') return `${time}  ${String(d.request_id)}  ${String(d.method)} ${String(d.path)}  → ${String(d.decision)}${d.reason_code ? ` (${String(d.reason_code)})` : ''}\n`;
  if (event === 'approval') return `${time}  ${String(d.request_id)}    approval ${String(d.approval_id)} ${String(d.step)}${d.actor ? ` by ${String(d.actor)}` : ''}\n`;
  const body = d.masked_body === null ? '(body not stored)' : String(d.masked_body);
  return `${time}  ${String(d.request_id)}    ${String(d.direction)} body: ${body}\n`;
}
