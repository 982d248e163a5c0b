/**
 * Streams a query's rows through a server-side cursor (one READ ONLY, REPEATABLE READ transaction),
 * `fetchSize` rows at a time, so exports and verification never hold a whole table in memory.
 */
import type { Pool } from 'pg';

export async function* streamRows<T extends Record<string, unknown>>(pool: Pool, text: string, values: unknown[] = [], fetchSize = 1_000): AsyncGenerator<T> {
  const client = await pool.connect();
  const onError = () => undefined; // a lost connection fails the next FETCH; it must not crash the process
  client.on('error', onError);
  let ok = false;
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    await client.query(`DECLARE keyward_stream NO SCROLL CURSOR FOR ${text}`, values);
    for (;;) {
      const { rows } = await client.query<T>(`FETCH ${fetchSize} FROM keyward_stream`);
      for (const row of rows) yield row;
      if (rows.length < fetchSize) break;
    }
    await client.query('COMMIT');
    ok = true;
  } finally {
    if (!ok) await client.query('ROLLBACK').catch(() => undefined);
    client.off('error', onError);
    client.release(!ok);
  }
}
