/**
 * Pure row building: an audit event becomes the column values of one row, linked into its writer's
 * hash chain. The same column table drives the INSERT (sink), the read-back (verify) and the tests, so
 * what is hashed is exactly what is stored.
 */
import { createHash, hash as oneShotHash } from 'node:crypto';
import type { ApprovalStepEvent, AuditEvent, CallEvent, FindingSummary, PayloadEvent } from './events.js';
import { canonicalJson, storableJson, storableText, type JsonValue } from './canonical.js';
import { rowMac, type ChainKey } from './chain-key.js';

export type { ApprovalStepEvent } from './events.js';

export type AuditTable = 'calls' | 'payloads' | 'approval_events';
/**
 * `long_text` is text as Postgres stores it, sent differently: a body of up to max_body_bytes travels
 * in one JSON array per batch (escaped natively by JSON.stringify) rather than inside an array literal
 * escaped in JavaScript on the event loop.
 */
export type ColumnType = 'text' | 'long_text' | 'text[]' | 'timestamptz' | 'int8' | 'int4' | 'float8' | 'jsonb';
export type Row = Readonly<Record<string, JsonValue>>;

/** The chain columns every audit table starts with. `hash` is computed, never part of the content. */
const CHAIN_COLUMNS = [
  ['recorded_at', 'timestamptz'],
  ['writer', 'text'],
  ['seq', 'int8'],
  ['prev_hash', 'text'],
  ['hash', 'text'],
  // Authentication of the row under a chain key Postgres never sees (chain-key.ts); not hashed.
  ['key_id', 'text'],
  ['mac', 'text'],
] as const;

export const TABLE_COLUMNS: Readonly<Record<AuditTable, readonly (readonly [string, ColumnType])[]>> = {
  calls: [
    ...CHAIN_COLUMNS,
    ['time', 'timestamptz'],
    ['request_id', 'text'],
    ['issuer', 'text'],
    ['subject', 'text'],
    ['groups', 'text[]'],
    ['client_id', 'text'],
    ['connection', 'text'],
    ['method', 'text'],
    ['path', 'text'],
    ['operation_class', 'text'],
    ['decision', 'text'],
    ['rule', 'text'],
    ['approval_id', 'text'],
    ['reason_code', 'text'],
    ['dry_run', 'jsonb'],
    ['latency_ms', 'float8'],
    ['config_version', 'text'],
    // Migration 007. Hashed only when not empty (OPTIONAL_CONTENT), so rows written before it verify.
    ['findings', 'jsonb'],
  ],
  payloads: [
    ...CHAIN_COLUMNS,
    ['time', 'timestamptz'],
    ['request_id', 'text'],
    ['direction', 'text'],
    ['content_type', 'text'],
    ['content_encoding', 'text'],
    ['body_sha256', 'text'],
    ['masked_body', 'long_text'],
    ['findings', 'jsonb'],
    ['upstream_status', 'int4'],
    ['reason_code', 'text'],
    ['latency_ms', 'float8'],
  ],
  approval_events: [
    ...CHAIN_COLUMNS,
    ['time', 'timestamptz'],
    ['request_id', 'text'],
    ['approval_id', 'text'],
    ['step', 'text'],
    ['actor', 'text'],
    ['reason', 'text'],
  ],
};

export const AUDIT_TABLES: readonly AuditTable[] = ['calls', 'payloads', 'approval_events'];

/** 64 zeros: the prev_hash of the first row of a chain. */
export const GENESIS_HASH = '0'.repeat(64);

/** Where a writer's chain stands: the last row it committed. */
export interface ChainHead {
  readonly writer: string;
  readonly seq: number;
  readonly hash: string;
  /** ISO time of the last row; recorded_at never goes backwards within a chain. */
  readonly recorded_at: string;
}

export function tableOf(event: AuditEvent): AuditTable {
  return event.kind === 'call' ? 'calls' : event.kind === 'payload' ? 'payloads' : 'approval_events';
}

const text = (s: string | null): JsonValue => (s === null ? null : storableText(s));

function isoTime(d: Date, field: string): string {
  if (!(d instanceof Date) || Number.isNaN(d.getTime())) throw new TypeError(`audit event: ${field} is not a valid Date`);
  return d.toISOString();
}

function finite(n: number, field: string): number {
  if (typeof n !== 'number' || !Number.isFinite(n)) throw new TypeError(`audit event: ${field} must be a finite number`);
  return n;
}

function callFields(e: CallEvent): Row {
  return {
    recorded_at: '', writer: '', seq: 0, prev_hash: '', hash: '', key_id: null, mac: null, // chain placeholders
    time: isoTime(e.time, 'time'),
    request_id: storableText(e.request_id),
    issuer: text(e.issuer),
    subject: text(e.subject),
    groups: e.groups.map(storableText),
    client_id: text(e.client_id),
    connection: text(e.connection),
    method: storableText(e.method),
    path: storableText(e.path),
    operation_class: text(e.operation_class),
    decision: e.decision,
    rule: text(e.rule),
    approval_id: text(e.approval_id),
    reason_code: text(e.reason_code),
    dry_run: storableJson(e.dry_run.map((d) => ({ rule: d.rule, action: d.action }))),
    latency_ms: finite(e.latency_ms, 'latency_ms'),
    config_version: storableText(e.config_version),
    findings: findingsJson(e.findings ?? []),
  };
}

function findingsJson(findings: readonly FindingSummary[]): JsonValue {
  return storableJson(findings.map((f) => ({ type: f.type, count: finite(f.count, 'findings.count'), locations: [...f.locations] })));
}

/**
 * Long-text values that arrive already encoded as their canonical JSON bytes (PayloadEvent's
 * masked_body_json): hashed and stored as those bytes. A symbol key, so the row's columns and its
 * canonical content stay exactly as before; Object.assign in chainRows carries it over.
 */
export const ENCODED = Symbol('keyward.audit.encoded');
type Encoded = Readonly<Record<string, Uint8Array>>;
export const encodedOf = (row: Row): Encoded | undefined => (row as { readonly [ENCODED]?: Encoded })[ENCODED];

/** Bytes (or characters, before encoding) of a row's masked body: what makes a batch heavy. */
export function maskedBodyBytes(row: Row): number {
  const encoded = encodedOf(row)?.masked_body;
  if (encoded) return encoded.byteLength;
  const v = row.masked_body;
  return typeof v === 'string' ? v.length : 0;
}

function payloadFields(e: PayloadEvent): Row {
  if (e.upstream_status !== null && !Number.isInteger(e.upstream_status)) throw new TypeError('audit event: upstream_status must be an integer');
  const row: Record<string | symbol, JsonValue | Encoded> = {
    recorded_at: '', writer: '', seq: 0, prev_hash: '', hash: '', key_id: null, mac: null, // chain placeholders
    time: isoTime(e.time, 'time'),
    request_id: storableText(e.request_id),
    direction: e.direction,
    content_type: text(e.content_type),
    content_encoding: text(e.content_encoding),
    body_sha256: storableText(e.body_sha256),
    masked_body: text(e.masked_body),
    findings: findingsJson(e.findings),
    upstream_status: e.upstream_status,
    reason_code: text(e.reason_code),
    latency_ms: finite(e.latency_ms, 'latency_ms'),
  };
  if (e.masked_body_json && e.masked_body !== null) row[ENCODED] = { masked_body: e.masked_body_json };
  return row as Row;
}

function approvalFields(e: ApprovalStepEvent): Row {
  return {
    recorded_at: '', writer: '', seq: 0, prev_hash: '', hash: '', key_id: null, mac: null, // chain placeholders
    time: isoTime(e.time, 'time'),
    request_id: storableText(e.request_id),
    approval_id: storableText(e.approval_id),
    step: storableText(e.step),
    actor: text(e.actor),
    reason: text(e.reason),
  };
}

/**
 * The event's own column values, validated and normalised to what Postgres stores. Throws TypeError
 * on misuse. Each starts with the chain columns as empty placeholders, in table order: chainRows
 * copies a row with one spread (V8 copies the shape) and fills them in, where adding them to a copy
 * would make V8 build a fresh shape for every row (~20x slower).
 */
export function eventFields(event: AuditEvent): Row {
  switch (event.kind) {
    case 'call':
      return callFields(event);
    case 'payload':
      return payloadFields(event);
    case 'approval':
      return approvalFields(event);
  }
}

/** Columns a row's hash does not cover: the link itself and its authentication (which covers the hash). */
const NOT_HASHED = new Set(['hash', 'prev_hash', 'key_id', 'mac']);

/** Per table: the content keys (every column but the chain's own, plus `table`) in canonical order. */
const contentKeys = (t: AuditTable) => [...TABLE_COLUMNS[t].map(([name]) => name).filter((n) => !NOT_HASHED.has(n)), 'table'].sort();
const CONTENT_KEYS: Readonly<Record<AuditTable, readonly string[]>> = { calls: contentKeys('calls'), payloads: contentKeys('payloads'), approval_events: contentKeys('approval_events') };
const KEY_PREFIX = new Map<string, string>([...new Set(Object.values(CONTENT_KEYS).flat())].map((k) => [k, `${JSON.stringify(k)}:`]));

const isEmptyArray = (v: JsonValue | undefined): boolean => Array.isArray(v) && v.length === 0;

/** Columns added after rows were first written: left out of the hashed content while empty. */
const OPTIONAL_CONTENT: Partial<Record<AuditTable, ReadonlySet<string>>> = { calls: new Set(['findings']) };

/** Per table, in canonical key order: each content key, what precedes its value (`"key":`, after a comma but for the first), and whether it is optional. */
const CONTENT_PLAN: Readonly<Record<AuditTable, readonly { readonly key: string; readonly lead: string; readonly optional: boolean }[]>> = Object.fromEntries(
  AUDIT_TABLES.map((t) => [t, CONTENT_KEYS[t].map((key, i) => ({ key, lead: `${i === 0 ? '' : ','}${KEY_PREFIX.get(key)!}`, optional: OPTIONAL_CONTENT[t]?.has(key) ?? false }))]),
) as never;

/**
 * Canonical JSON of a row's content: the same bytes as canonicalJson({...row without hash and
 * prev_hash, table}), written directly in the precomputed key order (this is the hot path).
 */
export function canonicalRowContent(table: AuditTable, row: Row): string {
  return canonicalPieces(table, row, undefined, '')[0] as string;
}

/**
 * `prefix` then the canonical content, as text pieces with each pre-encoded value as its bytes in
 * place. The chain passes prev_hash as the prefix, so the hash reads one string, flattened once.
 */
function canonicalPieces(table: AuditTable, row: Row, encoded: Encoded | undefined, prefix: string): (string | Uint8Array)[] {
  const pieces: (string | Uint8Array)[] = [];
  let text = `${prefix}{`;
  let first = true;
  for (const { key, lead, optional } of CONTENT_PLAN[table]) {
    const v = key === 'table' ? table : row[key];
    if (optional && (v === null || isEmptyArray(v))) continue;
    if (v === undefined) throw new TypeError(`rowHash: ${table}.${key} missing`);
    // An optional key left out first would leave a leading comma: only the first key may lack one.
    text += first && lead.startsWith(',') ? lead.slice(1) : lead;
    first = false;
    const bytes = v === null ? undefined : encoded?.[key];
    if (bytes) {
      pieces.push(text, bytes);
      text = '';
    } else text += typeof v === 'string' ? JSON.stringify(v) : canonicalJson(v);
  }
  pieces.push(`${text}}`);
  return pieces;
}

/** sha256(prev_hash || canonical JSON of the row content), hex. The content names its table. */
export function rowHash(table: AuditTable, row: Row): string {
  return hashPieces(hashedPieces(table, row));
}

/** What a row's hash covers, prev_hash first: one string, or pieces when a value came pre-encoded. */
function hashedPieces(table: AuditTable, row: Row): readonly (string | Uint8Array)[] {
  const prev = row.prev_hash;
  if (typeof prev !== 'string') throw new TypeError('rowHash: prev_hash missing');
  return canonicalPieces(table, row, encodedOf(row), prev);
}

function hashPieces(pieces: readonly (string | Uint8Array)[]): string {
  // One-shot for the common single string: no Hash object per row.
  if (pieces.length === 1) return oneShotHash('sha256', pieces[0] as string, 'hex');
  const h = createHash('sha256');
  for (const piece of pieces) h.update(piece);
  return h.digest('hex');
}

export interface ChainedRow {
  readonly table: AuditTable;
  readonly row: Row;
}

/**
 * Links events, in order, after `head`: seq +1 each, recorded_at never before the head's, each row's
 * prev_hash the previous row's hash, and — with a chain key — its MAC. Returns the rows and the new
 * head (to adopt only after COMMIT).
 */
export function chainRows(head: ChainHead, fields: readonly { table: AuditTable; fields: Row }[], now: Date, key?: ChainKey): { rows: ChainedRow[]; head: ChainHead } {
  const recordedAt = new Date(Math.max(now.getTime(), Date.parse(head.recorded_at))).toISOString();
  let { seq, hash } = head;
  const rows = fields.map(({ table, fields: f }) => {
    seq += 1;
    // One spread keeps the fields' shape (eventFields has the chain columns as placeholders); the
    // chain columns are then filled in, not added.
    const row: Record<string, JsonValue> = { ...f };
    row.recorded_at = recordedAt;
    row.writer = head.writer;
    row.seq = seq;
    row.prev_hash = hash;
    hash = hashPieces(hashedPieces(table, row));
    row.hash = hash;
    row.key_id = key ? key.id : null;
    row.mac = key ? rowMac(key, hash) : null;
    return { table, row };
  });
  return { rows, head: { writer: head.writer, seq, hash, recorded_at: recordedAt } };
}

/** Converts a row read back by node-postgres into the JSON values it was hashed from. */
export function rowFromDatabase(table: AuditTable, raw: Readonly<Record<string, unknown>>): Row {
  const out: Record<string, JsonValue> = {};
  for (const [name, type] of TABLE_COLUMNS[table]) {
    const v = raw[name];
    if (v === null || v === undefined) out[name] = null;
    else if (type === 'timestamptz') out[name] = v instanceof Date ? v.toISOString() : new Date(String(v)).toISOString();
    else if (type === 'int8' || type === 'int4' || type === 'float8') out[name] = Number(v);
    else out[name] = v as JsonValue;
  }
  return out;
}
