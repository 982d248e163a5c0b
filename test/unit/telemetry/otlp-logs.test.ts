import t from 'tap';
import { exportRequest, exportRequestProtobuf, type LogRecordParts } from '../../../src/telemetry/otlp-logs.js';
import { decodeOtlpLogs } from '../../helpers/otlp-decode.js';

const records: LogRecordParts[] = [
  { body: 'POST /api/v2/series → allow', attributes: { 'keyward.record': 'audit_row', 'keyward.audit.seq': 42, 'keyward.ok': true, 'keyward.ratio': 0.25, 'keyward.neg': -7, 'keyward.big': 2 ** 40 + 3 } },
  { body: 'tête → ✓ 😀', attributes: { 'ключ': 'значение', empty: '', 'keyward.audit.seq': 0 } },
  { body: '', attributes: {} },
];
const times = [1_765_000_000_123, 1_765_000_000_123, 1_765_000_001_999];

t.test('the protobuf request decodes, with the official field numbers, to what the JSON request says', async (t) => {
  const pb = decodeOtlpLogs('application/x-protobuf', exportRequestProtobuf('keyward-test', records, times));
  const json = decodeOtlpLogs('application/json', Buffer.from(exportRequest('keyward-test', records, times)));
  t.same(pb, json);
  t.same(pb.resource, { 'service.name': 'keyward-test' });
  t.same(pb.scopeNames, ['keyward.audit']);
  t.equal(pb.records.length, 3);
  t.same(pb.records[0]!.attributes, records[0]!.attributes);
  t.equal(pb.records[1]!.body, 'tête → ✓ 😀');
  t.same(pb.records[1]!.attributes, records[1]!.attributes);
  t.equal(pb.records[2]!.timeUnixNano, '1765000001999000000', 'times in nanoseconds, exactly');
  t.equal(pb.records[0]!.severityNumber, 9);
  t.equal(pb.records[0]!.severityText, 'INFO');
});

t.test('a long batch: lengths past one varint byte decode', async (t) => {
  const many: LogRecordParts[] = Array.from({ length: 600 }, (_, i) => ({ body: 'x'.repeat(i), attributes: { i, s: 'y'.repeat(200 + i) } }));
  const pb = decodeOtlpLogs('application/x-protobuf', exportRequestProtobuf('k', many, many.map(() => 1)));
  t.equal(pb.records.length, 600);
  t.same(pb.records.map((r) => r.attributes.i), many.map((_, i) => i));
  t.same(pb.records[599]!.attributes.s, 'y'.repeat(799));
});
