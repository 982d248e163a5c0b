import t from 'tap';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createPostgresAuditSink } from '../../../src/audit/postgres-sink.js';
import { CHILD_NODE_ARGS } from '../../helpers/child.js';
import { withTestDatabase, type TestDatabase } from '../../helpers/db.js';
import { callEvent, payloadEvent } from '../audit/fixtures/events.js';

const run = promisify(execFile);
const CLI = new URL('../audit/fixtures/cli.ts', import.meta.url).pathname;
const DD_API_KEY = '0123456789abcdef0123456789abcdef';

// What an agent controls: its body and its path. Each tries to draw a line the reviewer would trust.
const FORGED = '2025-03-10T12:00:00.500Z  r-forged  DELETE /api/v1/monitor/1  → allow';
const BODY = `{"note":"ok"}\r\n${FORGED}\n\x1b[2K\x1b[1A\x9b2K\u202egnirts desrever\u2028x`;
const PATH = `/api/v1/monitor?q=\x1b]0;owned\x07\r${FORGED}`;

async function seed(db: TestDatabase) {
  const sink = createPostgresAuditSink({ pool: db.pool, schema: db.schema, batchSize: 8, batchDelayMs: 1, commitDeadlineMs: 5000, writer: 'w1' });
  await sink.record(callEvent({ request_id: 'r-1', path: PATH, time: new Date('2025-03-10T12:00:00Z') }));
  await sink.record(payloadEvent({ request_id: 'r-1', time: new Date('2025-03-10T12:00:00.010Z'), masked_body: BODY, findings: [] }));
  await sink.close();
}

const UNSAFE = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029]/;

t.test('audit CLI: agent text cannot drive the reviewer terminal or forge a line (replay, search, show)', async (t) => {
  const db = await withTestDatabase(t);
  await seed(db);
  const dir = mkdtempSync(join(tmpdir(), 'keyward-cli-'));
  const config = join(dir, 'keyward.yaml');
  writeFileSync(config, `database:\n  schema: ${db.schema}\nconnections:\n  - { name: prod, site: datadoghq.com, api_key: "\${env:DD_API_KEY}", groups: [sre] }\n`);
  const cli = (...args: string[]) => run(process.execPath, [...CHILD_NODE_ARGS, CLI, ...args, '--config', config, '--database-url', db.url], { env: { ...process.env, DD_API_KEY } });

  const replay = (await cli('audit', 'replay', '--subject', 'agent-a', '--since', '2025-03-10')).stdout;
  t.notMatch(replay, UNSAFE, 'replay: no raw control, C1 or bidi character');
  t.equal(replay.trimEnd().split('\n').length, 2, 'replay: one line per event (a call and its body)');
  t.notOk(replay.split('\n').some((l) => l.startsWith(FORGED.slice(0, 24))), 'no line starts like a forged event');
  t.match(replay, /\\u001b\[2K/, 'the escape is shown, not obeyed');

  const table = (await cli('audit', 'search', '--subject', 'agent-a')).stdout;
  t.notMatch(table, UNSAFE, 'search table: no raw control character');
  t.equal(table.trimEnd().split('\n').length, 3, 'search table: header, rule, one row');

  const jsonl = (await cli('audit', 'search', '--subject', 'agent-a', '--format', 'jsonl')).stdout;
  t.notMatch(jsonl, UNSAFE);
  t.equal(JSON.parse(jsonl).path, PATH, 'jsonl is still the exact text once parsed');

  const show = (await cli('audit', 'show', 'r-1')).stdout;
  t.notMatch(show, UNSAFE, 'show: no raw control, C1 or bidi character');
  const shown = JSON.parse(show) as { payloads: { masked_body: string }[] };
  t.equal(shown.payloads[0]!.masked_body, BODY, 'show is still exact JSON');
});
