import t from 'tap';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createPostgresAuditSink } from '../../../src/audit/postgres-sink.js';
import { CHILD_NODE_ARGS } from '../../helpers/child.js';
import { withTestDatabase, type TestDatabase } from '../../helpers/db.js';
import { callEvent } from './fixtures/events.js';

const run = promisify(execFile);
const CLI = new URL('./fixtures/cli.ts', import.meta.url).pathname;
type Result = { code: number; stdout: string; stderr: string };

function cliFor(db: TestDatabase) {
  const config = join(mkdtempSync(join(tmpdir(), 'keyward-cli-')), 'keyward.yaml');
  writeFileSync(config, `database:\n  schema: ${db.schema}\n`);
  return (...args: string[]): Promise<Result> =>
    run(process.execPath, [...CHILD_NODE_ARGS, CLI, ...args, '--config', config, '--database-url', db.url]).then(
      (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
      (e: Result) => e,
    );
}

t.test('audit CLI for reviewers: relative times, id prefixes, closed class list, the rule column', async (t) => {
  const db = await withTestDatabase(t);
  const sink = createPostgresAuditSink({ pool: db.pool, schema: db.schema, batchSize: 16, batchDelayMs: 1, commitDeadlineMs: 5000, writer: 'w1' });
  const hourAgo = new Date(Date.now() - 3_600_000);
  const weekAgo = new Date(Date.now() - 8 * 86_400_000);
  await Promise.all([
    sink.record(callEvent({ request_id: '7f3a91c2-0000-4000-8000-000000000001', time: hourAgo, rule: 'telemetry' })),
    sink.record(callEvent({ request_id: '7f3a91c2-0000-4000-8000-000000000002', time: hourAgo, rule: 'telemetry' })),
    sink.record(callEvent({ request_id: 'b04e22d1-0000-4000-8000-000000000003', time: weekAgo, method: 'DELETE', path: '/api/v1/monitor/1', operation_class: 'destructive', decision: 'deny', rule: 'no-deletes', reason_code: 'policy_denied' })),
  ]);
  await sink.close();
  const keyward = cliFor(db);

  const recent = await keyward('audit', 'search', '--since', '24h', '--format', 'jsonl');
  t.equal(recent.code, 0, recent.stderr);
  t.same(recent.stdout.trim().split('\n').map((l) => JSON.parse(l).request_id).sort(), ['7f3a91c2-0000-4000-8000-000000000001', '7f3a91c2-0000-4000-8000-000000000002'], '--since 24h leaves out last week');
  const table = await keyward('audit', 'search', '--since', '30d', '--class', 'destructive');
  t.match(table.stdout, /rule[\s\S]*no-deletes[\s\S]*policy_denied/, 'search shows the deciding rule');
  t.notMatch(table.stdout, /telemetry/);

  const wrongClass = await keyward('audit', 'search', '--class', 'destructve');
  t.equal(wrongClass.code, 1, 'an unknown class is an error, not an empty result');
  t.match(wrongClass.stderr, /Allowed choices are telemetry-write, read, config-change, destructive, credential-admin, unknown/);
  const wrongTime = await keyward('audit', 'search', '--since', 'last tuesday');
  t.equal(wrongTime.code, 1);
  t.match(wrongTime.stderr, /24h, 7d/);

  const byPrefix = await keyward('audit', 'show', 'b04e22');
  t.equal(byPrefix.code, 0, byPrefix.stderr);
  t.equal(JSON.parse(byPrefix.stdout).call.request_id, 'b04e22d1-0000-4000-8000-000000000003', 'a unique prefix finds the call');
  const ambiguous = await keyward('audit', 'show', '7f3a91c2');
  t.equal(ambiguous.code, 2);
  t.match(ambiguous.stderr, /"7f3a91c2" is the start of several request ids: 7f3a91c2-0000-4000-8000-000000000001, 7f3a91c2-0000-4000-8000-000000000002; type more of it/);
  const wildcard = await keyward('audit', 'show', '7f3a%');
  t.equal(wildcard.code, 1, 'LIKE wildcards in a typed id are literal');
  const tooShort = await keyward('audit', 'show', 'b04');
  t.equal(tooShort.code, 1, 'prefixes shorter than 4 characters are not guessed');
});
