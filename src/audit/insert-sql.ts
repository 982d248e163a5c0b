/**
 * Pure: one INSERT per table for a batch of chained rows, as `INSERT … SELECT * FROM unnest($1::t[], …)`:
 * one array parameter per column whatever the batch size, so Postgres parses a short statement and
 * there is no parameter limit to split around. text[] and jsonb cells travel as text and are cast back.
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
  return `{${items.map((s) => `"${s.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`).join(',')}}`;
}

function cell(type: ColumnType, v: JsonValue | undefined): unknown {
  if (v === undefined || v === null) return null;
  if (type === 'jsonb') return JSON.stringify(v);
  if (type === 'text[]') return textArrayLiteral(v as readonly string[]);
  return v;
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

export function insertStatements(schema: string, rows: readonly ChainedRow[], firstParam = 1): InsertStatement[] {
  const out: InsertStatement[] = [];
  let n = firstParam;
  for (const table of AUDIT_TABLES) {
    const mine = rows.filter((r) => r.table === table);
    if (mine.length === 0) continue;
    const columns = TABLE_COLUMNS[table];
    const values = columns.map(([name, type]) => (type === 'long_text' ? longTextValue(mine, name) : mine.map(({ row }) => cell(type, row[name]))));
    const args = columns.map(([, type]) => (type === 'long_text' ? longTextArray(n++) : `$${n++}::${carrier(type)}[]`)).join(', ');
    const select = columns.map(([name, type]) => (type === 'text[]' ? `${quoteIdent(name)}::text[]` : quoteIdent(name))).join(', ');
    const cols = columns.map(([name]) => quoteIdent(name)).join(', ');
    out.push({
      table,
      text: `INSERT INTO ${quoteIdent(schema)}.${quoteIdent(table)} (${cols}) SELECT ${select} FROM unnest(${args}) AS u(${cols})`,
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
 * one row when it committed the batch, none when the head was stale (nothing written).
 */
export function batchStatement(schema: string, rows: readonly ChainedRow[], fromSeq: number, head: ChainHead, auth: HeadAuth | null = null): { text: string; values: unknown[] } {
  const s = quoteIdent(schema);
  const headValues: unknown[] = [head.seq, head.hash, head.recorded_at, head.writer, fromSeq, auth?.key_id ?? null, auth?.mac ?? null];
  const inserts = insertStatements(schema, rows, headValues.length + 1);
  const ctes = [
    // A CTE calling a volatile function is evaluated exactly once, before anything reads it.
    `moved AS (SELECT ${s}.advance_chain_head($4::text, $5::bigint, $1::bigint, $2::text, $3::timestamptz, $6::text, $7::text) AS ok)`,
    ...inserts.map((st) => `${st.table} AS (${st.text.replace(/ AS u\(([^)]*)\)$/, ' AS u($1) WHERE EXISTS (SELECT 1 FROM moved WHERE ok)')})`),
  ];
  return { text: `WITH ${ctes.join(',\n')} SELECT 1 AS moved FROM moved WHERE ok`, values: [...headValues, ...inserts.flatMap((st) => st.values)] };
}
