import t from 'tap';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../../../src/db/open.js';
import { createPostgresAuditSink } from '../../../src/audit/postgres-sink.js';
import { callEvent } from './fixtures/events.js';
import { freePort } from '../../helpers/ports.js';

t.test('db: no URL → embedded Postgres under data_dir, initialised once, reused after a restart', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'keyward-embedded-'));
  chmodSync(dir, 0o755); // as root, Postgres runs as the postgres user and must reach its folder
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const config = { data_dir: join(dir, 'pg'), embedded_port: await freePort(), schema: 'keyward', pool_size: 2 };
  const env = {}; // no DATABASE_URL

  const first = await openDatabase(config, undefined, { env });
  t.match(first.url, /^postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/postgres$/, 'password redacted');
  const sink = createPostgresAuditSink({ pool: first.pool, schema: 'keyward', batchSize: 8, batchDelayMs: 1, commitDeadlineMs: 5000, writer: 'w' });
  await sink.record(callEvent({ request_id: 'survives' }));
  await sink.close();
  await first.close();

  const second = await openDatabase(config, undefined, { env });
  t.teardown(() => second.close());
  t.same(second.migrations?.applied, [], 'schema already current');
  const { rows } = await second.pool.query(`SELECT request_id FROM keyward.calls`);
  t.same(rows, [{ request_id: 'survives' }]);
});
