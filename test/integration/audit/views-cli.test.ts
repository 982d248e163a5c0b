import t from 'tap';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createPostgresAuditSink } from '../../../src/audit/postgres-sink.js';
import { showRequest } from '../../../src/audit/queries.js';
import { verifyAudit } from '../../../src/audit/verify.js';
import { maskingSection } from '../../../src/config/sections/masking.js';
import { createMasker } from '../../../src/mask/index.js';
import { CHILD_NODE_ARGS } from '../../helpers/child.js';
import { withTestDatabase, type TestDatabase } from '../../helpers/db.js';
import { approvalEvent, callEvent, payloadEvent } from './fixtures/events.js';

const run = promisify(execFile);
const CLI = new URL('./fixtures/cli.ts', import.meta.url).pathname;
const DD_API_KEY = '0123456789abcdef0123456789abcdef';
const DD_APP_KEY = 'fedcba9876543210fedcba9876543210fedcba98';
// Secrets of the kind the masking corpus plants; the sink only ever receives their masked form.
const CHAIN_KEY = 'views-cli-chain-key-0123456789abcdef0123';
const PLANTED = [DD_API_KEY, DD_APP_KEY, 'AKIAIOSFODNN7EXAMPLE', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'xoxb-123456789012-abcdefghijkl', 'hunter2-is-my-password'];

async function seed(db: TestDatabase) {
  const sink = createPostgresAuditSink({ pool: db.pool, schema: db.schema, batchSize: 64, batchDelayMs: 1, commitDeadlineMs: 5000, writer: 'w1', chainKey: { id: 'k1', key: CHAIN_KEY } });
  await Promise.all([
    sink.record(callEvent({ request_id: 'r-allow', time: new Date('2025-03-10T12:00:00Z') })),
    sink.record(payloadEvent({ request_id: 'r-allow', time: new Date('2025-03-10T12:00:00.010Z'), masked_body: '{"key":"[REDACTED:aws_access_key]","token":"[REDACTED:slack_token]"}', findings: [{ type: 'aws_access_key', count: 1, locations: ['$.key'] }, { type: 'slack_token', count: 2, locations: ['$.token', '$.t2'] }] })),
    sink.record(callEvent({ request_id: 'r-deny', method: 'DELETE', path: '/api/v1/monitor/1', operation_class: 'destructive', decision: 'deny', reason_code: 'policy_denied', time: new Date('2025-03-10T12:01:00Z') })),
    sink.record(callEvent({ request_id: 'r-appr', method: 'POST', path: '/api/v1/downtime', operation_class: 'config-change', decision: 'allow', approval_id: 'apr-9', time: new Date('2025-03-10T12:02:00Z') })),
    sink.record(approvalEvent({ request_id: 'r-appr', approval_id: 'apr-9', step: 'requested', actor: null, reason: null, time: new Date('2025-03-10T12:01:30Z') })),
    sink.record(approvalEvent({ request_id: 'r-appr', approval_id: 'apr-9', step: 'granted', actor: 'alice@example.com', time: new Date('2025-03-10T12:01:50Z') })),
    sink.record(callEvent({ request_id: 'r-other', subject: 'agent-b', time: new Date('2025-03-11T08:00:00Z') })),
  ]);
  await sink.close();
}

function configFile(db: TestDatabase): string {
  const dir = mkdtempSync(join(tmpdir(), 'keyward-cli-'));
  const path = join(dir, 'keyward.yaml');
  writeFileSync(
    path,
    [`database:`, `  schema: ${db.schema}`, `audit:`, `  chain_key:`, `    id: k1`, `    key: \${env:CHAIN_KEY}`, `connections:`, `  - name: prod`, `    site: datadoghq.com`, `    api_key: \${env:DD_API_KEY}`, `    app_key: \${env:DD_APP_KEY}`, `    groups: [sre]`, ''].join('\n'),
  );
  return path;
}

const cli = (db: TestDatabase, config: string, ...args: string[]) =>
  run(process.execPath, [...CHILD_NODE_ARGS, CLI, ...args, '--config', config, '--database-url', db.url], {
    env: { ...process.env, DD_API_KEY, DD_APP_KEY, CHAIN_KEY },
    maxBuffer: 16 * 1024 * 1024,
  });

t.test('audit views: calls, refusals, findings per type, approvals, agent activity', async (t) => {
  const db = await withTestDatabase(t);
  await seed(db);
  const q = async (sql: string) => (await db.pool.query(sql.replaceAll('$S', db.schema))).rows;
  t.same((await q(`SELECT request_id FROM $S.audit_calls ORDER BY time`)).map((r) => r.request_id), ['r-allow', 'r-deny', 'r-appr', 'r-other']);
  t.same(await q(`SELECT request_id, decision, reason_code, operation_class FROM $S.audit_refusals`), [{ request_id: 'r-deny', decision: 'deny', reason_code: 'policy_denied', operation_class: 'destructive' }]);
  t.same(await q(`SELECT request_id, subject, finding_type, finding_count, locations FROM $S.audit_findings ORDER BY finding_type`), [
    { request_id: 'r-allow', subject: 'agent-a', finding_type: 'aws_access_key', finding_count: 1, locations: ['$.key'] },
    { request_id: 'r-allow', subject: 'agent-a', finding_type: 'slack_token', finding_count: 2, locations: ['$.token', '$.t2'] },
  ]);
  t.same(await q(`SELECT approval_id, step, actor, requested_by, path FROM $S.audit_approvals ORDER BY time`), [
    { approval_id: 'apr-9', step: 'requested', actor: null, requested_by: 'agent-a', path: '/api/v1/downtime' },
    { approval_id: 'apr-9', step: 'granted', actor: 'alice@example.com', requested_by: 'agent-a', path: '/api/v1/downtime' },
  ]);
  t.same(await q(`SELECT subject, to_char(day, 'YYYY-MM-DD') AS day, calls::int, allowed::int, refused::int, with_approval::int, findings::int FROM $S.audit_agent_activity ORDER BY subject`), [
    { subject: 'agent-a', day: '2025-03-10', calls: 3, allowed: 2, refused: 1, with_approval: 1, findings: 3 },
    { subject: 'agent-b', day: '2025-03-11', calls: 1, allowed: 1, refused: 0, with_approval: 0, findings: 0 },
  ]);

  // A call held for an approval names it, as does the retry that used an approval another request opened.
  const more = createPostgresAuditSink({ pool: db.pool, schema: db.schema, batchSize: 8, batchDelayMs: 1, commitDeadlineMs: 5000, writer: 'w2' });
  await more.record(callEvent({ request_id: 'r-held', subject: 'agent-b', path: '/api/v1/downtime', operation_class: 'config-change', decision: 'pending', reason_code: 'approval_pending', approval_id: 'apr-10', time: new Date('2025-03-11T09:00:00Z') }));
  await more.record(callEvent({ request_id: 'r-retry', path: '/api/v1/downtime', operation_class: 'config-change', decision: 'allow', approval_id: 'apr-9', time: new Date('2025-03-10T12:03:00Z') }));
  await more.close();
  t.same(await q(`SELECT subject, calls::int, allowed::int, refused::int, held::int, with_approval::int FROM $S.audit_agent_activity ORDER BY subject`), [
    { subject: 'agent-a', calls: 4, allowed: 3, refused: 1, held: 0, with_approval: 2 },
    { subject: 'agent-b', calls: 2, allowed: 1, refused: 0, held: 1, with_approval: 0 },
  ], 'a held call is counted apart: neither refused nor "with approval"');
  t.same((await q(`SELECT request_id FROM $S.audit_refusals ORDER BY time`)).map((r) => r.request_id), ['r-deny'], 'a hold is not a refusal');
  t.same(await q(`SELECT request_id, approval_id, reason_code FROM $S.audit_holds`), [{ request_id: 'r-held', approval_id: 'apr-10', reason_code: 'approval_pending' }]);

  // A key the agent sent is a finding on the call row (fingerprint only), counted per agent.
  const keys = createPostgresAuditSink({ pool: db.pool, schema: db.schema, batchSize: 8, batchDelayMs: 1, commitDeadlineMs: 5000, writer: 'w3' });
  await keys.record(callEvent({ request_id: 'r-key', subject: 'agent-b', path: '/api/v1/monitor', operation_class: 'read', decision: 'allow', time: new Date('2025-03-11T10:00:00Z'), findings: [{ type: 'agent_supplied_key', count: 1, locations: ['header:dd-api-key fp=0123456789abcdef'] }] }));
  await keys.close();
  t.same(await q(`SELECT request_id, direction, finding_type, finding_count, locations FROM $S.audit_findings WHERE direction = 'call'`), [
    { request_id: 'r-key', direction: 'call', finding_type: 'agent_supplied_key', finding_count: 1, locations: ['header:dd-api-key fp=0123456789abcdef'] },
  ]);
  t.same(await q(`SELECT subject, findings::int, with_agent_key::int FROM $S.audit_agent_activity WHERE subject = 'agent-b'`), [{ subject: 'agent-b', findings: 1, with_agent_key: 1 }]);
  t.equal((await verifyAudit(db.pool, { schema: db.schema })).ok, true, 'rows with and without call findings verify');
  const shown = await showRequest(db.pool, db.schema, 'r-retry');
  t.same(shown.approvals.map((a) => [a.step, a.actor]), [['requested', null], ['granted', 'alice@example.com']], 'show names who approved, though the approval was opened by another request');
});

t.test('audit CLI (spawned): search, show, replay, export, verify', async (t) => {
  const db = await withTestDatabase(t);
  await seed(db);
  const config = configFile(db);
  const outputs: string[] = [];

  const search = await cli(db, config, 'audit', 'search', '--subject', 'agent-a', '--format', 'jsonl');
  outputs.push(search.stdout, search.stderr);
  t.same(search.stdout.trim().split('\n').map((l) => JSON.parse(l).request_id), ['r-allow', 'r-deny', 'r-appr']);
  const typo = await cli(db, config, 'audit', 'search', '--decision', 'denied').catch((e: { code: number; stderr: string }) => e);
  t.equal((typo as { code?: number }).code, 1, 'an unknown decision is an error, not an empty result');
  t.match((typo as { stderr: string }).stderr, /Allowed choices are allow, deny, pending, error/);
  const table = await cli(db, config, 'audit', 'search', '--decision', 'deny');
  t.match(table.stdout, /request_id[\s\S]*r-deny[\s\S]*policy_denied/);
  t.notMatch(table.stdout, /r-allow/);

  const show = await cli(db, config, 'audit', 'show', 'r-appr');
  const shown = JSON.parse(show.stdout);
  t.equal(shown.call.request_id, 'r-appr');
  t.same(shown.approvals.map((a: { step: string }) => a.step), ['requested', 'granted']);
  await t.rejects(cli(db, config, 'audit', 'show', 'nope'), { code: 1 });

  const replay = await cli(db, config, 'audit', 'replay', '--subject', 'agent-a', '--since', '2025-03-10');
  outputs.push(replay.stdout);
  t.match(replay.stdout, /r-allow\s+GET \/api\/v1\/monitor\s+→ allow[\s\S]*request body: \{"key":"\[REDACTED:aws_access_key\]"[\s\S]*approval apr-9 granted by alice@example.com/);

  const out = join(mkdtempSync(join(tmpdir(), 'keyward-export-')), 'calls.csv');
  const exp = await cli(db, config, 'audit', 'export', '--format', 'csv', '--out', out);
  t.match(exp.stderr, /exported 4 rows from audit_calls to /);
  const csv = readFileSync(out, 'utf8');
  outputs.push(csv);
  t.equal(csv.trim().split('\r\n').length, 5, 'header + 4 rows');
  const findings = await cli(db, config, 'audit', 'export', '--view', 'payloads');
  outputs.push(findings.stdout);
  // East of UTC a calendar day must not come out as the previous day's 23:00Z.
  const activity = await run(process.execPath, [...CHILD_NODE_ARGS, CLI, 'audit', 'export', '--view', 'agent_activity', '--format', 'jsonl', '--config', config, '--database-url', db.url], {
    env: { ...process.env, DD_API_KEY, DD_APP_KEY, CHAIN_KEY, TZ: 'Europe/Berlin' },
  });
  t.same(activity.stdout.trim().split('\n').map((l) => (JSON.parse(l) as { day: string }).day), ['2025-03-10', '2025-03-11']);

  const verify = await cli(db, config, 'audit', 'verify');
  t.match(verify.stdout, /ok\s+writer w1: 7 rows, seq 1\.\.7[\s\S]*verified 7 rows/);
  await db.pool.query(`ALTER TABLE ${db.schema}.calls DISABLE TRIGGER USER`);
  await db.pool.query(`UPDATE ${db.schema}.calls SET subject = 'someone-else' WHERE request_id = 'r-deny'`);
  await db.pool.query(`ALTER TABLE ${db.schema}.calls ENABLE TRIGGER USER`);
  const broken = await cli(db, config, 'audit', 'verify').catch((e: { code: number; stdout: string }) => e);
  t.equal((broken as { code?: number }).code, 1, 'exit 1 on a broken chain');
  t.match(broken.stdout, /broken: writer w1 seq \d+ request_id r-deny in calls: hash_mismatch/);

  const help = await run(process.execPath, [...CHILD_NODE_ARGS, CLI, 'audit', 'export', '--help']);
  t.match(help.stdout, /Examples:[\s\S]*--format csv/);

  for (const secret of PLANTED) t.notOk(outputs.some((o) => o.includes(secret)), `CLI output never contains ${secret.slice(0, 6)}…`);
});

t.test('audit store: no configured key or planted secret in any stored column or view', async (t) => {
  const db = await withTestDatabase(t);
  await seed(db);
  // A body carrying every planted secret, stored the way ext_proc stores it: masked by the real masker.
  const masker = createMasker(maskingSection.parse({}));
  const body = JSON.stringify({ api_key: DD_API_KEY, application_key: DD_APP_KEY, message: `aws ${PLANTED[2]} aws_secret_access_key=${PLANTED[3]} slack ${PLANTED[4]}`, password: PLANTED[5] });
  const masked = masker.maskJson(body);
  t.ok(PLANTED.every((s) => body.includes(s)), 'the body holds every planted secret');
  const sink = createPostgresAuditSink({ pool: db.pool, schema: db.schema, batchSize: 8, batchDelayMs: 1, commitDeadlineMs: 5000, writer: 'w-planted' });
  await sink.record(payloadEvent({ request_id: 'r-planted', masked_body: masked.text, findings: masked.findings.map((f) => ({ ...f, locations: [...f.locations] })) }));
  await sink.close();
  const relations = ['calls', 'payloads', 'approval_events', 'chain_heads', 'chain_checkpoints', 'audit_calls', 'audit_refusals', 'audit_holds', 'audit_payloads', 'audit_findings', 'audit_approvals', 'audit_agent_activity'];
  for (const rel of relations) {
    const { rows } = await db.pool.query(`SELECT count(*)::int AS total, count(*) FILTER (WHERE r::text ILIKE ANY ($1::text[]))::int AS hits FROM ${db.schema}.${rel} r`, [PLANTED.map((s) => `%${s}%`)]);
    t.equal(rows[0].hits, 0, `${rel}: zero hits in ${rows[0].total} rows`);
  }
});
