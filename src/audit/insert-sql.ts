/** Pure: multi-row INSERT statements for chained rows, one per table (split only past Postgres' parameter limit). */
import { quoteIdent } from '../db/sql.js';
import { AUDIT_TABLES, TABLE_COLUMNS, type AuditTable, type ChainedRow, type ColumnType } from './rows.js';
import type { JsonValue } from './canonical.js';

const MAX_PARAMS = 65_535;

export interface InsertStatement {
  readonly table: AuditTable;
  readonly text: string;
  readonly values: unknown[];
}

function param(type: ColumnType, v: JsonValue | undefined): unknown {
  if (v === undefined || v === null) return null;
  return type === 'jsonb' ? JSON.stringify(v) : v;
}

export function insertStatements(schema: string, rows: readonly ChainedRow[]): InsertStatement[] {
  const out: InsertStatement[] = [];
  for (const table of AUDIT_TABLES) {
    const columns = TABLE_COLUMNS[table];
    const mine = rows.filter((r) => r.table === table);
    const perStatement = Math.floor(MAX_PARAMS / columns.length);
    for (let start = 0; start < mine.length; start += perStatement) {
      const chunk = mine.slice(start, start + perStatement);
      const values: unknown[] = [];
      const tuples = chunk.map(({ row }) => {
        const placeholders = columns.map(([name, type]) => {
          values.push(param(type, row[name]));
          return `$${values.length}::${type}`;
        });
        return `(${placeholders.join(',')})`;
      });
      const cols = columns.map(([name]) => quoteIdent(name)).join(',');
      out.push({ table, text: `INSERT INTO ${quoteIdent(schema)}.${quoteIdent(table)} (${cols}) VALUES ${tuples.join(',')}`, values });
    }
  }
  return out;
}
