/**
 * Pure: one INSERT per table for a batch of chained rows, as `INSERT … SELECT * FROM unnest($1::t[], …)`:
 * one array parameter per column whatever the batch size, so Postgres parses a short statement and
 * there is no parameter limit to split around. Each column travels as one array literal built here
 * (node-postgres would build it element by element, through two regex replaces each); unnest of
 * arrays costs Postgres about half what json_to_recordset does. text[] and jsonb cells travel as text
 * and are cast back; masked bodies travel as one JSON array (long_text).
 */
import { quoteIdent } from '../db/sql.js';
import { AUDIT_TABLES, encodedOf, TABLE_COLUMNS, type AuditTable, type ChainHead, type ChainedRow, type ColumnType } from './rows.js';
import type { JsonValue } from './canonical.js';

export interface InsertStatement {
  readonly table: AuditTable;
  readonly text: string;
  readonly values: unknown[];
}

/** A text[] value as a Postgres array literal (every element quoted, `"` and `\` escaped). */
export function textArrayLiteral(items: readonly string[]): string {
  return `{${items.map(quoted).join(',')}}`;
}

const NEEDS_ESCAPE = /["\\]/;
const ESCAPED = /["\\]/g;
/** An array element in double quotes: everything but `"` and `\` stands for itself there. */
const quoted = (s: string): string => (NEEDS_ESCAPE.test(s) ? `"${s.replace(ESCAPED, '\\$&')}"` : `"${s}"`);

/** One cell as an element of its column's array literal. */
function element(type: ColumnType, v: JsonValue): string {
  switch (type) {
    case 'int8':
    case 'int4':
    case 'float8':
      return String(v);
    case 'jsonb':
      return quoted(JSON.stringify(v));
    case 'text[]':
      return quoted(textArrayLiteral(v as readonly string[]));
    default:
      return quoted(v as string);
  }
}

/** A column's values as one array literal; values repeated across the batch (writer, connection, rule…) are quoted once. */
function columnLiteral(type: ColumnType, rows: readonly ChainedRow[], name: string): string {
  const parts = new Array<string>(rows.length);
  let last: JsonValue | undefined;
  let lastText = '';
  for (let i = 0; i < rows.length; i++) {
    const v = rows[i]!.row[name];
    if (v === null || v === undefined) parts[i] = 'NULL';
    else if (v === last && typeof v !== 'object') parts[i] = lastText;
    else {
      last = v;
      lastText = element(type, v);
      parts[i] = lastText;
    }
  }
  return `{${parts.join(',')}}`;
}

/**
 * A long_text column's values as one JSON array: text when none came pre-encoded, else bytes (sent in
 * binary format, which for json is its text) with each pre-encoded value copied in as it is.
 */
function longTextValue(rows: readonly ChainedRow[], name: string): string | Buffer {
  if (!rows.some(({ row }) => encodedOf(row)?.[name])) return JSON.stringify(rows.map(({ row }) => row[name] ?? null));
  const parts: Uint8Array[] = [];
  rows.forEach(({ row }, i) => {
    const v = row[name];
    parts.push(i === 0 ? OPEN : COMMA, v === null || v === undefined ? NULL : (encodedOf(row)?.[name] ?? Buffer.from(JSON.stringify(v))));
  });
  parts.push(CLOSE);
  return Buffer.concat(parts);
}
const [OPEN, COMMA, CLOSE, NULL] = ['[', ',', ']', 'null'].map((s) => Buffer.from(s)) as [Buffer, Buffer, Buffer, Buffer];

/** A JSON array of strings (and nulls) as text[], in its own order. */
const longTextArray = (param: number): string => `ARRAY(SELECT e FROM json_array_elements_text($${param}::json) WITH ORDINALITY AS x(e, i) ORDER BY i)`;

/** The unnest element type (text[] cells go through text: unnest would flatten a 2-D array). */
const carrier = (type: ColumnType): string => (type === 'text[]' ? 'text' : type);

/** `guard` (a WHERE clause) makes every insert of a batch conditional on one shared fact. */
export function insertStatements(schema: string, rows: readonly ChainedRow[], firstParam = 1, guard = ''): InsertStatement[] {
  const out: InsertStatement[] = [];
  let n = firstParam;
  for (const table of AUDIT_TABLES) {
    const mine = rows.filter((r) => r.table === table);
    if (mine.length === 0) continue;
    const columns = TABLE_COLUMNS[table];
    const values = columns.map(([name, type]) => (type === 'long_text' ? longTextValue(mine, name) : columnLiteral(type, mine, name)));
    const args = columns.map(([, type]) => (type === 'long_text' ? longTextArray(n++) : `$${n++}::${carrier(type)}[]`)).join(', ');
    const select = columns.map(([name, type]) => (type === 'text[]' ? `${quoteIdent(name)}::text[]` : quoteIdent(name))).join(', ');
    const cols = columns.map(([name]) => quoteIdent(name)).join(', ');
    out.push({
      table,
      text: `INSERT INTO ${quoteIdent(schema)}.${quoteIdent(table)} (${cols}) SELECT ${select} FROM unnest(${args}) AS u(${cols})${guard ? ` ${guard}` : ''}`,
      values,
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
