/** Shared by the tamper tests: a keyed, witnessed chain, and the database administrator's tools. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { createFileWitness } from '../../../src/audit/file-witness.js';
import { createPostgresAuditSink } from '../../../src/audit/postgres-sink.js';
import { GENESIS_HASH, rowFromDatabase, rowHash, type AuditTable, type Row } from '../../../src/audit/rows.js';
import { createWitness } from '../../../src/audit/witness.js';
import { auditCommand } from '../../../src/cli/audit.js';
import type { TestDatabase } from '../../helpers/db.js';
import { callEvent } from './fixtures/events.js';

export const K1 = { id: 'k1', key: 'chain-key-one-0123456789abcdef0123456789' };
export const K2 = { id: 'k2', key: 'chain-key-two-0123456789abcdef0123456789' };
export const CHECKPOINT_KEY = 'checkpoint-key-0123456789abcdef';

/** n calls for `writer`, one batch each (each batch publishes a signed head to the witness file). Row 3 is a refused DELETE. */
export async function writeChain(db: TestDatabase, n: number, opts: { writer?: string; key?: typeof K1; witness?: string; from?: number } = {}): Promise<void> {
  const key = opts.key ?? K1;
  const witness = opts.witness ? createWitness({ key, sinks: [createFileWitness(opts.witness)], everyRows: 1, everyMs: 60_000 }) : undefined;
  const sink = createPostgresAuditSink({ pool: db.pool, schema: db.schema, batchSize: 1, batchDelayMs: 0, commitDeadlineMs: 10_000, writer: opts.writer ?? 'w1', chainKey: key, ...(witness ? { observer: witness } : {}) });
  for (let i = opts.from ?? 1; i < (opts.from ?? 1) + n; i++) {
    await sink.record(
      i === 3
        ? callEvent({ request_id: `r${i}`, method: 'DELETE', path: '/api/v1/dashboard/prod', operation_class: 'destructive', decision: 'deny', rule: 'no-destruction', reason_code: 'policy_denied' })
        : callEvent({ request_id: `r${i}` }),
    );
  }
  await sink.close();
}

/** As the superuser, with the append-only triggers off. */
export async function asAdministrator(db: TestDatabase, body: (q: (sql: string, values?: unknown[]) => Promise<{ rows: Record<string, unknown>[] }>) => Promise<void>): Promise<void> {
  const c = await db.pool.connect();
  const s = `"${db.schema}"`;
  try {
    for (const t of ['calls', 'payloads', 'approval_events', 'chain_checkpoints']) await c.query(`ALTER TABLE ${s}.${t} DISABLE TRIGGER USER`);
    await body((sql, values = []) => c.query(sql.replaceAll('$S', s), values));
  } finally {
    for (const t of ['calls', 'payloads', 'approval_events', 'chain_checkpoints']) await c.query(`ALTER TABLE ${s}.${t} ENABLE TRIGGER USER`);
    c.release();
  }
}

/** The writer's call rows as verify reads them. */
export async function callRows(db: TestDatabase, writer = 'w1'): Promise<Row[]> {
  const { rows } = await db.pool.query(`SELECT to_jsonb(r) AS row FROM "${db.schema}".calls r WHERE writer = $1 ORDER BY seq`, [writer]);
  return rows.map((r: { row: Record<string, unknown> }) => rowFromDatabase('calls', r.row));
}

/** Re-links rows from `fromIndex` with the project's own (unkeyed) hash function, as an attacker who read the source would. */
export function rehash(table: AuditTable, rows: Row[], fromIndex: number): Row[] {
  let prev = fromIndex === 0 ? GENESIS_HASH : String(rows[fromIndex - 1]!.hash);
  return rows.map((r, i) => {
    if (i < fromIndex) return r;
    const next: Record<string, Row[string]> = { ...r, prev_hash: prev };
    next.hash = rowHash(table, next);
    prev = String(next.hash);
    return next;
  });
}

export function tempFile(name: string): string {
  return join(mkdtempSync(join(tmpdir(), 'keyward-tamper-')), name);
}

/** `keyward audit …` in process, with a config holding the given audit section. Returns exit code and output. */
export async function auditCli(db: TestDatabase, auditYaml: string[], args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const config = tempFile('keyward.yaml');
  writeFileSync(config, [`database:`, `  schema: ${db.schema}`, ...(auditYaml.length ? ['audit:', ...auditYaml.map((l) => `  ${l}`)] : []), ''].join('\n'));
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (d: Buffer) => (stdout += d.toString()));
  err.on('data', (d: Buffer) => (stderr += d.toString()));
  const before = process.exitCode;
  process.exitCode = undefined;
  try {
    await auditCommand({ stdout: out, stderr: err, env: { ...process.env, ...env } }).exitOverride().parseAsync([...args, '--config', config, '--database-url', db.url], { from: 'user' });
    return { code: Number(process.exitCode ?? 0), stdout, stderr };
  } finally {
    process.exitCode = before;
  }
}

export const keyYaml = (extra: string[] = []) => ['chain_key:', '  id: k1', '  key: ${env:K1}', ...extra];
export const keyEnv = { K1: K1.key, K2: K2.key, CPK: CHECKPOINT_KEY };

export const readLines = (file: string) => readFileSync(file, 'utf8').split('\n');
