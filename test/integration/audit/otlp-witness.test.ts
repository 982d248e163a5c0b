import http from 'node:http';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { auditSinkOptions } from '../../../src/audit/sink-options.js';
import { createPostgresAuditSink } from '../../../src/audit/postgres-sink.js';
import { witnessFloor } from '../../../src/audit/witness-check.js';
import { createKeyring } from '../../../src/audit/chain-key.js';
import { verifyAudit } from '../../../src/audit/verify.js';
import { auditSection } from '../../../src/config/sections/audit.js';
import { baseConfig, KEYS } from '../../helpers/gate.js';
import { withTestDatabase } from '../../helpers/db.js';
import { asDatabase } from '../../helpers/pg-stack.js';
import { startStack } from '../../helpers/stack.js';
import { datadogAgent, refusal, seriesPayload, until } from '../../e2e/agent.js';
import { decodeOtlpLogs } from '../../helpers/otlp-decode.js';

const CHAIN_KEY = { id: 'otlp-k1', key: 'otlp-witness-chain-key-0123456789abcdef' };

interface Received {
  attributes: Record<string, string | number | boolean>;
  body: string;
}

/** An OTLP/HTTP logs receiver decoding the OTLP payload (protobuf or JSON); `down()` makes it answer 503. */
async function startReceiver() {
  const records: Received[] = [];
  const contentTypes = new Set<string>();
  const raw: Buffer[] = [];
  let up = true;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (!up) {
        res.writeHead(503).end();
        return;
      }
      const body = Buffer.concat(chunks);
      raw.push(body);
      contentTypes.add(String(req.headers['content-type']));
      for (const lr of decodeOtlpLogs(req.headers['content-type'], body).records) records.push({ attributes: lr.attributes, body: String(lr.body) });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/v1/logs`,
    records,
    raw,
    contentTypes,
    down: () => (up = false),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

t.test('witness over OTLP: every audit row and every signed head reaches a real OTLP/HTTP receiver, nothing secret; Check unaffected when it is down', async (t) => {
  const receiver = await startReceiver();
  t.teardown(() => receiver.close());
  const db = await withTestDatabase(t, { poolSize: 10 });
  const audit = auditSection.parse({
    writer: 'otlp-w',
    batch_delay: '2ms',
    chain_key: CHAIN_KEY,
    witness: { otlp_endpoint: receiver.url, every_rows: 1, every: '1s', export_interval: '50ms', batch_size: 8, queue_size: 16 },
  });
  let droppedMetric = 0;
  const sink = createPostgresAuditSink(auditSinkOptions(audit, db.pool, db.schema, undefined, { onExportDrop: (n) => (droppedMetric += n) }));
  const s = await startStack((issuer) => ({ ...baseConfig([{ issuer }]), database: { schema: db.schema } }), { audit: sink, database: asDatabase(db) });
  let stopped = false;
  t.teardown(() => (stopped ? undefined : s.stop()));
  const agent = datadogAgent(s.door.url, () => s.bearer('agent-otlp', ['agents']));

  for (let i = 0; i < 3; i++) await agent.metrics.submitMetrics({ body: seriesPayload(`otlp.${i}`) });
  const denied = await refusal(agent.dashboards.deleteDashboard({ dashboardId: 'prod-dash' }));
  t.equal(denied.code, 403);

  const { rows: calls } = await db.pool.query<{ request_id: string; seq: string }>(`SELECT request_id, seq FROM "${db.schema}".calls ORDER BY seq`);
  const { rows: all } = await db.pool.query<{ n: number }>(`SELECT (SELECT count(*) FROM "${db.schema}".calls) + (SELECT count(*) FROM "${db.schema}".payloads) + (SELECT count(*) FROM "${db.schema}".approval_events) AS n`);
  const total = Number(all[0]!.n);
  await until(() => receiver.records.filter((r) => r.attributes['keyward.record'] === 'audit_row').length >= total);
  const rowRecords = receiver.records.filter((r) => r.attributes['keyward.record'] === 'audit_row');
  t.equal(rowRecords.length, total, 'every committed row arrived once');
  t.same([...receiver.contentTypes], ['application/x-protobuf'], 'OTLP/HTTP binary protobuf, decoded with the opentelemetry-proto field numbers');
  t.same(new Set(rowRecords.filter((r) => r.attributes['keyward.audit.table'] === 'calls').map((r) => r.attributes['keyward.request_id'])), new Set(calls.map((c) => c.request_id)));
  const refusedRecord = rowRecords.find((r) => r.attributes['keyward.decision'] === 'deny')!;
  t.match(refusedRecord.attributes, {
    'keyward.identity.subject': 'agent-otlp',
    'keyward.connection': String,
    'http.request.method': 'DELETE',
    'keyward.audited_path': '/api/v1/dashboard/prod-dash',
    'keyward.operation_class': 'destructive',
    'keyward.rule': 'no-destructive',
    'keyward.reason_code': String,
  });
  t.ok(rowRecords.some((r) => r.attributes['keyward.audit.table'] === 'payloads' && 'keyward.findings' in r.attributes), 'payload rows carry a findings summary');

  // Signed heads: the last one published matches the database head and verifies with the key.
  const maxSeq = Math.max(...rowRecords.map((r) => Number(r.attributes['keyward.audit.seq'])));
  await until(() => receiver.records.some((r) => r.attributes['keyward.record'] === 'chain_head' && r.attributes['keyward.audit.seq'] === maxSeq));
  const heads = receiver.records.filter((r) => r.attributes['keyward.record'] === 'chain_head');
  const floor = witnessFloor(heads.map((h) => h.body), createKeyring(CHAIN_KEY));
  t.equal(floor.forged.length, 0, 'every exported head is signed with the chain key');
  t.equal(floor.heads.get('otlp-w')?.seq, maxSeq);
  const report = await verifyAudit(db.pool, { schema: db.schema, keyring: createKeyring(CHAIN_KEY), witness: heads.map((h) => h.body) });
  t.ok(report.ok && report.vouched, 'the exported heads are a witness verify accepts');

  const everything = Buffer.concat(receiver.raw).toString('utf8');
  // Protobuf carries strings as raw UTF-8, so the raw bytes and the decoded strings are both searched.
  const decoded = receiver.records.map((r) => `${r.body}\n${Object.entries(r.attributes).join('\n')}`).join('\n');
  for (const secret of [KEYS.prodApi, KEYS.prodApp, CHAIN_KEY.key]) {
    t.notOk(everything.includes(secret), `no ${secret.slice(0, 4)}… in the export`);
    t.notOk(decoded.includes(secret), `no ${secret.slice(0, 4)}… in any decoded record`);
  }
  t.notOk(/Bearer |eyJ[A-Za-z0-9_-]{10,}\./.test(decoded), 'no token in any decoded record');
  t.notOk(/Bearer |eyJ[A-Za-z0-9_-]{10,}\./.test(everything), 'no token in the export');
  t.notOk(everything.includes('masked_body') || everything.includes('body_sha256') || everything.includes('"series"'), 'no body in the export');

  // Receiver down: Check still answers as before; what could not be exported is counted.
  receiver.down();
  const before = receiver.records.length;
  for (let i = 0; i < 30; i++) await agent.metrics.submitMetrics({ body: seriesPayload(`otlp.down.${i}`) });
  const stillDenied = await refusal(agent.dashboards.deleteDashboard({ dashboardId: 'prod-dash' }));
  t.equal(stillDenied.code, 403, 'policy answers unchanged');
  await until(() => droppedMetric > 0);
  t.equal(receiver.records.length, before, 'nothing was accepted while down');
  t.ok(droppedMetric > 0, `${droppedMetric} records dropped and counted`);
  stopped = true;
  await s.stop();
});
