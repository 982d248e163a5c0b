/**
 * Audit records as OTLP logs (OTLP/HTTP, binary protobuf by default, JSON on request), for the user's collector or SIEM. Emitting never blocks
 * and never throws: items wait in a bounded queue as they are (turned into log records only when their
 * batch is exported), one export is in flight at a time, and an item that finds the queue full — or
 * whose export fails — is dropped and counted (the count goes into the next published chain head and
 * the `keyward_audit_export_dropped_total` metric).
 * Our own queue and OTLP encoders instead of the SDK's processor and exporter: it counts every
 * drop exactly, and the SDK's per-record objects cost more CPU than writing the audit row itself.
 * Requests go through node:http(s) on one keep-alive agent rather than `fetch`: undici's request,
 * body-stream and abort-signal objects cost several times the CPU per row of a plain request.
 */
import http from 'node:http';
import https from 'node:https';
import { urlToHttpOptions } from 'node:url';

export type LogAttributes = Record<string, string | number | boolean>;

export interface LogRecordParts {
  readonly body: string;
  readonly attributes: LogAttributes;
}

export interface OtlpLogsOptions {
  /** OTLP/HTTP logs URL, e.g. http://collector:4318/v1/logs. */
  readonly endpoint: string;
  readonly serviceName?: string;
  readonly queueSize: number;
  readonly batchSize: number;
  readonly intervalMs: number;
  /** Called with how many records were just dropped (metric). */
  readonly onDrop?: (n: number) => void;
  /** Per export request (ms). Default 5000. */
  readonly timeoutMs?: number;
  /** The OTLP/HTTP payload: `protobuf` (application/x-protobuf, every collector takes it) or `json`. Default protobuf. */
  readonly encoding?: 'protobuf' | 'json';
}

export interface OtlpLogs<T> {
  /** Queues one item; returns false when it was dropped. */
  emit(item: T): boolean;
  /** Records dropped since start. */
  dropped(): number;
  /** Exports what waits (each request bounded by timeoutMs), then stops. */
  close(): Promise<void>;
}

const SEVERITY_INFO = 9;

type AnyValue = { stringValue: string } | { intValue: string } | { doubleValue: number } | { boolValue: boolean };

function anyValue(v: string | number | boolean): AnyValue {
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  return Number.isInteger(v) ? { intValue: String(v) } : { doubleValue: v };
}

const keyValues = (attributes: LogAttributes) => Object.keys(attributes).map((key) => ({ key, value: anyValue(attributes[key]!) }));

/** The OTLP/JSON ExportLogsServiceRequest for one batch (pure). */
export function exportRequest(serviceName: string, records: readonly LogRecordParts[], timesMs: readonly number[]): string {
  const logRecords = records.map((r, i) => {
    const nanos = `${timesMs[i]!}000000`;
    return { timeUnixNano: nanos, observedTimeUnixNano: nanos, severityNumber: SEVERITY_INFO, severityText: 'INFO', body: { stringValue: r.body }, attributes: keyValues(r.attributes) };
  });
  return JSON.stringify({
    resourceLogs: [{ resource: { attributes: keyValues({ 'service.name': serviceName }) }, scopeLogs: [{ scope: { name: 'keyward.audit' }, logRecords }] }],
  });
}

// --- OTLP/HTTP binary protobuf -------------------------------------------------------------------
// Field numbers from opentelemetry-proto (collector/logs/v1, logs/v1, common/v1, resource/v1). The
// request is written straight into one Buffer: sizes first (every nested message is prefixed with its
// length), then the bytes, with no intermediate objects per record.

const SCOPE_NAME = 'keyward.audit';

function varintSize(n: number): number {
  if (n < 0x80) return 1;
  if (n < 0x4000) return 2;
  let size = 1;
  for (; n >= 0x80; size++) n = Math.floor(n / 0x80);
  return size;
}
/** A length-delimited field with a one-byte tag around `n` bytes. */
const delimited = (n: number): number => 1 + varintSize(n) + n;
const utf8Length = (s: string): number => Buffer.byteLength(s, 'utf8');
const isInt = (v: number): boolean => Number.isSafeInteger(v);

/** Size of a non-string AnyValue. */
function scalarSize(v: number | boolean): number {
  if (typeof v === 'boolean') return 2; // bool_value = 2
  if (isInt(v)) return 1 + (v < 0 ? 10 : varintSize(v)); // int_value = 3 (int64: a negative takes ten bytes)
  return 9; // double_value = 4
}

/**
 * The UTF-8 length of every string value of one request, measured once in the size pass and read
 * back in the same order by the writer: each string is measured once and written once.
 */
interface Lengths {
  readonly of: number[];
  at: number;
}

/** Size of an AnyValue, recording a string's length. */
function valueSize(v: string | number | boolean, lengths: Lengths): number {
  if (typeof v !== 'string') return scalarSize(v);
  const n = utf8Length(v);
  lengths.of.push(n);
  return delimited(n); // string_value = 1
}

/**
 * An attribute key's `key = 1` field (tag, length, UTF-8), encoded once: the keys are a few constant
 * names. Bounded, so an exporter fed ever-new keys only stops caching.
 */
const encodedKeys = new Map<string, Uint8Array>();
function encodedKey(key: string): Uint8Array {
  let bytes = encodedKeys.get(key);
  if (bytes === undefined) {
    const w = new ProtoWriter(Buffer.alloc(delimited(utf8Length(key))));
    w.byte(0x0a);
    w.varint(utf8Length(key));
    w.at += w.buf.write(key, w.at, 'utf8');
    bytes = w.buf;
    if (encodedKeys.size < 1024) encodedKeys.set(key, bytes);
  }
  return bytes;
}

const keyValueSize = (key: string, v: string | number | boolean, lengths: Lengths): number => encodedKey(key).length + delimited(valueSize(v, lengths));

function logRecordSize(r: LogRecordParts, lengths: Lengths): number {
  // time_unix_nano (fixed64) + observed_time_unix_nano (fixed64) + severity_number + severity_text "INFO" + body
  let n = 9 + 9 + 2 + 6 + delimited(valueSize(r.body, lengths));
  const a = r.attributes;
  for (const key in a) n += delimited(keyValueSize(key, a[key]!, lengths));
  return n;
}

class ProtoWriter {
  at = 0;
  constructor(readonly buf: Buffer) {}
  byte(b: number): void {
    this.buf[this.at++] = b;
  }
  varint(n: number): void {
    while (n >= 0x80) {
      this.buf[this.at++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    this.buf[this.at++] = n;
  }
  int64(v: number): void {
    if (v >= 0) return this.varint(v);
    let u = BigInt.asUintN(64, BigInt(v));
    while (u >= 0x80n) {
      this.buf[this.at++] = Number(u & 0x7fn) | 0x80;
      u >>= 7n;
    }
    this.buf[this.at++] = Number(u);
  }
  /** A string field of `length` UTF-8 bytes (from the size pass). */
  string(tag: number, s: string, length: number): void {
    this.byte(tag);
    this.varint(length);
    if (length === s.length && length <= 64) {
      // ASCII (a UTF-8 length equal to the UTF-16 length means no code unit ≥ 0x80), short: a loop
      // beats the call into C++ for the names, ids and times most attributes are.
      const buf = this.buf;
      let at = this.at;
      for (let i = 0; i < length; i++) buf[at++] = s.charCodeAt(i);
      this.at = at;
    } else this.at += this.buf.write(s, this.at, 'utf8'); // sized exactly: no length argument (it costs)
  }
  scalar(v: number | boolean): void {
    if (typeof v === 'boolean') {
      this.byte(0x10);
      return this.byte(v ? 1 : 0);
    }
    if (isInt(v)) {
      this.byte(0x18);
      return this.int64(v);
    }
    this.byte(0x21);
    this.at = this.buf.writeDoubleLE(v, this.at);
  }
  /** An AnyValue as a field with `tag`. */
  value(tag: number, v: string | number | boolean, lengths: Lengths): void {
    this.byte(tag);
    if (typeof v === 'string') {
      const n = lengths.of[lengths.at++]!;
      this.varint(delimited(n));
      return this.string(0x0a, v, n);
    }
    this.varint(scalarSize(v));
    this.scalar(v);
  }
  /** A KeyValue as a field with `tag`. */
  keyValue(tag: number, key: string, v: string | number | boolean, lengths: Lengths): void {
    const k = encodedKey(key);
    const valueSize = typeof v === 'string' ? delimited(lengths.of[lengths.at]!) : scalarSize(v);
    this.byte(tag);
    this.varint(k.length + delimited(valueSize));
    const buf = this.buf; // key = 1, a few bytes: a loop beats TypedArray#set's call
    let at = this.at;
    for (let i = 0; i < k.length; i++) buf[at++] = k[i]!;
    this.at = at;
    this.value(0x12, v, lengths); // value = 2
  }
  fixed64(tag: number, big: bigint): void {
    this.byte(tag);
    this.at = this.buf.writeBigUInt64LE(big, this.at);
  }
}

/** The OTLP/HTTP protobuf ExportLogsServiceRequest for one batch (pure). */
export function exportRequestProtobuf(serviceName: string, records: readonly LogRecordParts[], timesMs: readonly number[]): Buffer {
  const lengths: Lengths = { of: [], at: 0 };
  // Sizes in the order the bytes are written: the resource, then each record.
  const resourceSize = delimited(keyValueSize('service.name', serviceName, lengths)); // Resource.attributes = 1
  const recordSizes = records.map((r) => logRecordSize(r, lengths));
  const scopeNameLength = utf8Length(SCOPE_NAME);
  const scopeSize = delimited(scopeNameLength); // InstrumentationScope.name = 1
  let scopeLogsSize = delimited(scopeSize);
  for (const n of recordSizes) scopeLogsSize += delimited(n);
  const resourceLogsSize = delimited(resourceSize) + delimited(scopeLogsSize);
  const w = new ProtoWriter(Buffer.allocUnsafe(delimited(resourceLogsSize)));
  w.byte(0x0a); // ExportLogsServiceRequest.resource_logs = 1
  w.varint(resourceLogsSize);
  w.byte(0x0a); // ResourceLogs.resource = 1
  w.varint(resourceSize);
  w.keyValue(0x0a, 'service.name', serviceName, lengths);
  w.byte(0x12); // ResourceLogs.scope_logs = 2
  w.varint(scopeLogsSize);
  w.byte(0x0a); // ScopeLogs.scope = 1
  w.varint(scopeSize);
  w.string(0x0a, SCOPE_NAME, scopeNameLength);
  let lastMs = NaN;
  let nanos = 0n;
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    const ms = timesMs[i]!;
    if (ms !== lastMs) {
      lastMs = ms;
      nanos = BigInt(ms) * 1_000_000n;
    }
    w.byte(0x12); // ScopeLogs.log_records = 2
    w.varint(recordSizes[i]!);
    w.fixed64(0x09, nanos); // time_unix_nano = 1
    w.fixed64(0x59, nanos); // observed_time_unix_nano = 11
    w.byte(0x10); // severity_number = 2
    w.byte(SEVERITY_INFO);
    w.string(0x1a, 'INFO', 4); // severity_text = 3
    w.value(0x2a, r.body, lengths); // body = 5
    const a = r.attributes;
    for (const key in a) w.keyValue(0x32, key, a[key]!, lengths); // attributes = 6
  }
  if (w.at !== w.buf.length || lengths.at !== lengths.of.length) throw new Error(`OTLP protobuf size mismatch: ${w.at} of ${w.buf.length}`);
  return w.buf;
}

export function createOtlpLogs<T>(options: OtlpLogsOptions, toRecord: (item: T) => LogRecordParts): OtlpLogs<T> {
  const serviceName = options.serviceName ?? 'keyward';
  const timeoutMs = options.timeoutMs ?? 5_000;
  const json = options.encoding === 'json';
  const contentType = json ? 'application/json' : 'application/x-protobuf';
  const items: T[] = [];
  const times: number[] = [];
  /** items[first…] wait; the prefix is exported and compacted away in bulk. */
  let first = 0;
  const waiting = () => items.length - first;
  let dropped = 0;
  let exporting: Promise<void> | null = null;
  let stopped = false;

  const drop = (n: number) => {
    if (n <= 0) return;
    dropped += n;
    try {
      options.onDrop?.(n);
    } catch {
      // a metric must not break export
    }
  };

  const post = poster(options.endpoint, contentType, timeoutMs);

  async function exportBatch(batch: readonly T[], at: readonly number[]): Promise<void> {
    let ok = false;
    try {
      const records = batch.map(toRecord);
      const body = json ? Buffer.from(exportRequest(serviceName, records, at), 'utf8') : exportRequestProtobuf(serviceName, records, at);
      ok = await post.send(body);
    } catch {
      // an item that would not encode
    }
    if (!ok) drop(batch.length); // receiver down or refusing (non-2xx), timeout, or encoding failed
  }

  const pump = () => {
    if (exporting || waiting() === 0) return;
    exporting = (async () => {
      while (waiting() > 0) {
        const n = Math.min(options.batchSize, waiting());
        const batch = items.slice(first, first + n);
        const at = times.slice(first, first + n);
        first += n;
        if (first * 2 >= items.length) {
          // compact once the exported prefix is at least half the array: amortised O(1) per item
          items.splice(0, first);
          times.splice(0, first);
          first = 0;
        }
        await exportBatch(batch, at);
      }
    })().finally(() => {
      exporting = null;
    });
  };

  const timer = setInterval(pump, options.intervalMs);
  timer.unref();

  return {
    emit(item) {
      if (stopped || waiting() >= options.queueSize) {
        drop(1);
        return false;
      }
      items.push(item);
      times.push(Date.now());
      if (waiting() >= options.batchSize) pump();
      return true;
    },
    dropped: () => dropped,
    async close() {
      clearInterval(timer);
      pump();
      while (exporting) await exporting;
      stopped = true;
      post.close();
    },
  };
}

interface Poster {
  /** POSTs one body; true when a 2xx status came within the timeout, false otherwise. Never rejects. */
  send(body: Buffer): Promise<boolean>;
  /** Closes the idle keep-alive connection. */
  close(): void;
}

/**
 * One endpoint's requests over a keep-alive agent (https for an https URL). Each request has one
 * deadline for the whole exchange — connecting, sending, the status and draining the answer — as
 * AbortSignal.timeout gave fetch: a receiver that accepts and never answers costs timeoutMs, not more.
 */
function poster(endpoint: string, contentType: string, timeoutMs: number): Poster {
  const url = new URL(endpoint);
  const secure = url.protocol === 'https:';
  // Free sockets are unref'd by the agent; the server's Keep-Alive hint retires them before it would.
  const agent = secure ? new https.Agent({ keepAlive: true }) : new http.Agent({ keepAlive: true });
  const request = secure ? https.request : http.request;
  const target = { ...urlToHttpOptions(url), method: 'POST', agent };

  const send = (body: Buffer) =>
    new Promise<boolean>((resolve) => {
      /** The receiver's verdict, once its status line is in: a 2xx accepted the batch. */
      let accepted = false;
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        resolve(accepted);
      };
      const req = request({ ...target, headers: { 'content-type': contentType, 'content-length': body.length } }, (res) => {
        const status = res.statusCode ?? 0;
        accepted = status >= 200 && status < 300;
        // The answer's body is drained (so the connection is reused) but does not change the verdict.
        res.on('end', finish);
        res.on('error', finish);
        res.on('close', finish);
        res.resume();
      });
      req.on('error', finish); // refused, reset, TLS failure, or destroyed by the deadline
      const timer = setTimeout(() => {
        finish();
        req.destroy(); // the socket is not reused: the rest of an answer may still be on its way
      }, timeoutMs);
      req.end(body);
    });

  return { send, close: () => agent.destroy() };
}
