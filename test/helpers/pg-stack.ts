import { createPostgresAuditSink } from '../../src/audit/postgres-sink.js';
import type { Database } from '../../src/db/open.js';
import type { GateOptions } from '../../src/gate.js';
import { withTestDatabase, type TestDatabase } from './db.js';
import { startStack, type Stack } from './stack.js';

interface TapLike {
  teardown(fn: () => unknown): void;
}

export interface PgStack extends Stack {
  db: TestDatabase;
}

/** A test database as the gate's Database (the test owns its lifetime). */
export function asDatabase(db: TestDatabase): Database {
  return { pool: db.pool, url: db.url, schema: db.schema, migrations: db.migrations, close: async () => undefined };
}

/** The full stack with the Postgres audit store and approvals, on a fresh schema of its own. */
export async function startPgStack(t: TapLike, config: (issuer: string, schema: string) => Record<string, unknown>, db?: TestDatabase, gate: Partial<GateOptions> = {}): Promise<PgStack> {
  const database = db ?? (await withTestDatabase(t, { poolSize: 10 }));
  const audit = createPostgresAuditSink({ pool: database.pool, schema: database.schema, batchSize: 64, batchDelayMs: 2, commitDeadlineMs: 3000, writer: `test-${Math.random().toString(16).slice(2, 8)}` });
  const stack = await startStack((issuer) => ({ ...config(issuer, database.schema), database: { schema: database.schema } }), { ...gate, audit, database: asDatabase(database) });
  t.teardown(() => stack.stop());
  return { ...stack, db: database };
}

/**
 * The audit row of one call. A refusal's row is written without making the agent wait for it, so this
 * polls until the row is there (or `ms` pass, then undefined).
 */
export async function auditRowOf<Row = Record<string, unknown>>(s: PgStack, requestId: string | null | undefined, columns: string, ms = 10_000): Promise<Row | undefined> {
  const end = Date.now() + ms;
  for (;;) {
    const { rows } = await s.db.pool.query(`SELECT ${columns} FROM "${s.db.schema}".audit_calls WHERE request_id = $1`, [requestId]);
    if (rows.length > 0) return rows[0] as Row;
    if (Date.now() > end) return undefined;
    await new Promise((r) => setTimeout(r, 20));
  }
}
