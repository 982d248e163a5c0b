/**
 * Pure: one INSERT per table for a batch of chained rows, as `INSERT … SELECT … FROM json_to_recordset($n)`:
 * the batch's rows travel as ONE JSON array, each row the canonical content its hash was computed over
 * (rows.ts `rowJson`), so Postgres parses a short statement, there is no parameter limit to split around,
 * and nothing is escaped again on the event loop (node-postgres escapes array parameters element by
 * element in JavaScript). What Postgres stores is parsed from the very bytes that were hashed.
 */
import { quoteIdent } from '../db/sql.js';
import { AUDIT_TABLES, rowContent, rowTail, TABLE_COLUMNS, type AuditTable, type ChainHead, type ChainedRow } from './rows.js';

export interface InsertStatement {
  readonly table: AuditTable;
  readonly text: string;
  readonly values: unknown[];
}

/**
 * The rows as one JSON array, written straight into one buffer (sent in binary format, which for
 * json is its text): each row's hashed content with its closing brace overwritten by its tail, and
 * pre-encoded bodies copied in as they are. No string is concatenated or flattened on the way.
 */
function recordsetValue(table: AuditTable, rows: readonly ChainedRow[]): Buffer {
  const contents = rows.map(rowContent);
  const tails = rows.map(({ row }) => rowTail(table, row));
  let capacity = 2 + rows.length;
  for (let i = 0; i < rows.length; i++) {
    capacity += 3 * tails[i]!.length;
    // The content measured exactly (a 3x bound would allocate, and copy out of, three times the batch).
    for (const piece of contents[i]!) capacity += typeof piece === 'string' ? Buffer.byteLength(piece) : piece.byteLength;
  }
  const out = Buffer.allocUnsafe(capacity);
  let at = 0;
  const put = (piece: string | Uint8Array) => {
    if (typeof piece === 'string') at += out.write(piece, at);
    else {
      out.set(piece, at);
      at += piece.byteLength;
    }
  };
  out[at++] = 0x5b; // [
  for (let i = 0; i < rows.length; i++) {
    if (i > 0) out[at++] = 0x2c; // ,
    for (const piece of contents[i]!) put(piece);
    at -= 1; // the content's closing brace: the tail closes the record
    put(tails[i]!);
  }
  out[at++] = 0x5d; // ]
  return out.subarray(0, at);
}

/** `guard` (a WHERE clause) makes every insert of a batch conditional on one shared fact. */
export function insertStatements(schema: string, rows: readonly ChainedRow[], firstParam = 1, guard = ''): InsertStatement[] {
  const out: InsertStatement[] = [];
  let n = firstParam;
  for (const table of AUDIT_TABLES) {
    const mine = rows.filter((r) => r.table === table);
    if (mine.length === 0) continue;
    const columns = TABLE_COLUMNS[table];
    const cols = columns.map(([name]) => quoteIdent(name)).join(', ');
    const record = columns.map(([name, type]) => `${quoteIdent(name)} ${type}`).join(', ');
    out.push({
      table,
      text: `INSERT INTO ${quoteIdent(schema)}.${quoteIdent(table)} (${cols}) SELECT ${cols} FROM json_to_recordset($${n++}::json) AS u(${record})${guard ? ` ${guard}` : ''}`,
      values: [recordsetValue(table, mine)],
    });
  }
  return out;
}

/** How a batch authenticates the head it moves to (null without a chain key). */
export interface HeadAuth {
  readonly key_id: string;
  readonly mac: string;
}

/**
 * The whole batch as ONE statement, hence one transaction and one round trip: move the writer's head
 * from `fromSeq` (compare-and-set, through the SECURITY DEFINER advance_chain_head: keyward's role may
 * not touch chain_heads otherwise) and insert every row only if the head moved. The statement returns
 * one row when it committed the batch, none when the head was stale (nothing written). `notAfterMs`:
 * the head's lock must be had within that many ms of the statement's start on the server, or the
 * statement fails (SQLSTATE KWD01, migration 014) and nothing is written.
 */
export function batchStatement(schema: string, rows: readonly ChainedRow[], fromSeq: number, head: ChainHead, auth: HeadAuth | null, notAfterMs: number): { text: string; values: unknown[] } {
  const s = quoteIdent(schema);
  const headValues: unknown[] = [head.seq, head.hash, head.recorded_at, head.writer, fromSeq, auth?.key_id ?? null, auth?.mac ?? null, notAfterMs];
  const inserts = insertStatements(schema, rows, headValues.length + 1, 'WHERE EXISTS (SELECT 1 FROM moved WHERE ok)');
  const ctes = [
    // A CTE calling a volatile function is evaluated exactly once, before anything reads it.
    `moved AS (SELECT ${s}.advance_chain_head($4::text, $5::bigint, $1::bigint, $2::text, $3::timestamptz, $6::text, $7::text, statement_timestamp() + $8::float8 * interval '1 millisecond') AS ok)`,
    ...inserts.map((st) => `${st.table} AS (${st.text})`),
  ];
  return { text: `WITH ${ctes.join(',\n')} SELECT 1 AS moved FROM moved WHERE ok`, values: [...headValues, ...inserts.flatMap((st) => st.values)] };
}
