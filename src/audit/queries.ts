/** The read side of the audit store: the queries behind `keyward audit search|show|replay|export`. */
import type { Pool } from 'pg';
import { quoteIdent } from '../db/sql.js';

export interface SearchFilters {
  readonly subject?: string;
  readonly connection?: string;
  readonly operationClass?: string;
  readonly decision?: string;
  readonly since?: Date;
  readonly until?: Date;
  readonly limit?: number;
}

export interface Sql {
  readonly text: string;
  readonly values: unknown[];
}

/** Pure: the filtered, time-ordered query over the audit_calls view. */
export function searchSql(schema: string, f: SearchFilters): Sql {
  const where: string[] = [];
  const values: unknown[] = [];
  const add = (column: string, op: string, value: unknown) => {
    values.push(value);
    where.push(`${column} ${op} $${values.length}`);
  };
  if (f.subject !== undefined) add('subject', '=', f.subject);
  if (f.connection !== undefined) add('connection', '=', f.connection);
  if (f.operationClass !== undefined) add('operation_class', '=', f.operationClass);
  if (f.decision !== undefined) add('decision', '=', f.decision);
  if (f.since !== undefined) add('time', '>=', f.since);
  if (f.until !== undefined) add('time', '<', f.until);
  const limit = f.limit === undefined ? '' : ` LIMIT ${Math.max(1, Math.floor(f.limit))}`;
  return {
    text: `SELECT * FROM ${quoteIdent(schema)}.audit_calls${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY time, request_id${limit}`,
    values,
  };
}

export interface RequestRecord {
  readonly call: Record<string, unknown> | null;
  readonly payloads: Record<string, unknown>[];
  readonly approvals: Record<string, unknown>[];
}

export type IdLookup = { readonly kind: 'found'; readonly id: string } | { readonly kind: 'none' } | { readonly kind: 'ambiguous'; readonly candidates: readonly string[] };

/** A request id as a reviewer types it: whole, or a unique prefix (like git's short hashes). */
export async function resolveRequestId(pool: Pool, schema: string, typed: string): Promise<IdLookup> {
  const s = quoteIdent(schema);
  const exact = await pool.query(`SELECT 1 FROM ${s}.audit_calls WHERE request_id = $1 UNION ALL SELECT 1 FROM ${s}.audit_approvals WHERE request_id = $1 LIMIT 1`, [typed]);
  if (exact.rowCount) return { kind: 'found', id: typed };
  if (typed.length < 4) return { kind: 'none' };
  const pattern = typed.replace(/[\\%_]/g, (c) => `\\${c}`) + '%';
  const { rows } = await pool.query<{ request_id: string }>(
    `SELECT request_id FROM (SELECT request_id FROM ${s}.audit_calls WHERE request_id LIKE $1 UNION SELECT request_id FROM ${s}.audit_approvals WHERE request_id LIKE $1) x ORDER BY request_id LIMIT 6`,
    [pattern],
  );
  if (rows.length === 0) return { kind: 'none' };
  if (rows.length === 1) return { kind: 'found', id: rows[0]!.request_id };
  return { kind: 'ambiguous', candidates: rows.map((r) => r.request_id) };
}

export async function showRequest(pool: Pool, schema: string, requestId: string): Promise<RequestRecord> {
  const s = quoteIdent(schema);
  const [call, payloads, approvals] = await Promise.all([
    pool.query(`SELECT * FROM ${s}.audit_calls WHERE request_id = $1 ORDER BY time LIMIT 1`, [requestId]),
    pool.query(`SELECT * FROM ${s}.audit_payloads WHERE request_id = $1 ORDER BY time, direction`, [requestId]),
    // The steps of the approval the call used or waited on (requested, each vote, approved…) were
    // recorded under the request that opened it: join by approval id, not only by request id.
    pool.query(
      `SELECT * FROM ${s}.audit_approvals WHERE request_id = $1
         OR approval_id IN (SELECT approval_id FROM ${s}.audit_calls WHERE request_id = $1 AND approval_id IS NOT NULL)
       ORDER BY time`,
      [requestId],
    ),
  ]);
  return { call: call.rows[0] ?? null, payloads: payloads.rows, approvals: approvals.rows };
}

/** Pure: an agent's session in order — calls, approval steps, then payloads (masked bodies) of each request. */
export function replaySql(schema: string, subject: string, since: Date, until?: Date): Sql {
  const s = quoteIdent(schema);
  const range = until ? 'time >= $2 AND time < $3' : 'time >= $2';
  const values: unknown[] = until ? [subject, since, until] : [subject, since];
  const text = `SELECT time, event, request_id, data FROM (
      SELECT time, 0 AS ord, 'call' AS event, request_id, to_jsonb(c) AS data FROM ${s}.audit_calls c WHERE subject = $1 AND ${range}
      UNION ALL SELECT time, 1, 'approval', request_id, to_jsonb(a) FROM ${s}.audit_approvals a WHERE requested_by = $1 AND ${range}
      UNION ALL SELECT time, 2, 'payload', request_id, to_jsonb(p) FROM ${s}.audit_payloads p WHERE subject = $1 AND ${range}
    ) x ORDER BY time, request_id, ord`;
  return { text, values };
}

export const EXPORT_VIEWS = ['calls', 'refusals', 'holds', 'payloads', 'findings', 'approvals', 'agent_activity'] as const;
export type ExportView = (typeof EXPORT_VIEWS)[number];

/** Pure: a whole view, optionally time-bounded, in time order (agent_activity is per day). */
export function exportSql(schema: string, view: ExportView, since?: Date, until?: Date): Sql {
  const col = view === 'agent_activity' ? 'day' : 'time';
  const where: string[] = [];
  const values: unknown[] = [];
  if (since) where.push(`${col} >= $${values.push(since)}`);
  if (until) where.push(`${col} < $${values.push(until)}`);
  const order = view === 'agent_activity' ? 'day, subject' : 'time, request_id';
  return { text: `SELECT * FROM ${quoteIdent(schema)}.${quoteIdent(`audit_${view}`)}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY ${order}`, values };
}
