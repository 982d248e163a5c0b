/**
 * Pure: what of an audit row leaves keyward as a log record. The fields a SIEM joins and filters on —
 * never a key, a token, a body (masked or not) or a body hash; findings only as type and count.
 */
import type { WitnessHead } from './witness-check.js';
import type { AuditTable, Row } from './rows.js';

export type LogAttributes = Record<string, string | number | boolean>;

const put = (out: LogAttributes, name: string, v: unknown) => {
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[name] = v;
};

/** `type:count,…` of a payload row's findings, e.g. `aws_access_key:1,email:2`. */
export function findingsSummary(findings: unknown): string {
  if (!Array.isArray(findings)) return '';
  return findings
    .map((f) => (typeof f === 'object' && f !== null ? `${String((f as { type?: unknown }).type)}:${Number((f as { count?: unknown }).count)}` : ''))
    .filter((s) => s !== '')
    .join(',');
}

export function rowLogRecord(table: AuditTable, row: Row): { body: string; attributes: LogAttributes } {
  const a: LogAttributes = { 'keyward.record': 'audit_row', 'keyward.audit.table': table };
  put(a, 'keyward.audit.writer', row.writer);
  put(a, 'keyward.audit.seq', row.seq);
  put(a, 'keyward.audit.hash', row.hash);
  put(a, 'keyward.audit.key_id', row.key_id);
  put(a, 'keyward.request_id', row.request_id);
  put(a, 'keyward.time', row.time);
  if (table === 'calls') {
    put(a, 'keyward.identity.issuer', row.issuer);
    put(a, 'keyward.identity.subject', row.subject);
    if (Array.isArray(row.groups)) a['keyward.identity.groups'] = row.groups.join(',');
    put(a, 'keyward.connection', row.connection);
    put(a, 'http.request.method', row.method);
    put(a, 'keyward.audited_path', row.path);
    put(a, 'keyward.operation_class', row.operation_class);
    put(a, 'keyward.decision', row.decision);
    put(a, 'keyward.rule', row.rule);
    put(a, 'keyward.approval_id', row.approval_id);
    put(a, 'keyward.reason_code', row.reason_code);
    return { body: `${String(row.method)} ${String(row.path)} → ${String(row.decision)}`, attributes: a };
  }
  if (table === 'payloads') {
    put(a, 'keyward.direction', row.direction);
    put(a, 'keyward.findings', findingsSummary(row.findings));
    put(a, 'http.response.status_code', row.upstream_status);
    put(a, 'keyward.reason_code', row.reason_code);
    return { body: `${String(row.direction)} body audited`, attributes: a };
  }
  put(a, 'keyward.approval_id', row.approval_id);
  put(a, 'keyward.approval.step', row.step);
  put(a, 'keyward.approval.actor', row.actor);
  return { body: `approval ${String(row.approval_id)} ${String(row.step)}`, attributes: a };
}

export function headLogRecord(h: WitnessHead): { body: string; attributes: LogAttributes } {
  return {
    body: JSON.stringify({ type: 'head', ...h }),
    attributes: {
      'keyward.record': 'chain_head',
      'keyward.audit.writer': h.writer,
      'keyward.audit.seq': h.seq,
      'keyward.audit.hash': h.hash,
      'keyward.audit.recorded_at': h.recorded_at,
      'keyward.audit.key_id': h.key_id,
      'keyward.audit.mac': h.mac,
      'keyward.audit.dropped': h.dropped,
      'keyward.time': h.time,
    },
  };
}
