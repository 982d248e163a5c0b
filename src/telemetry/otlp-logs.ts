/**
 * Audit records as OTLP logs (OTLP/HTTP, JSON), for the user's collector or SIEM. Emitting never blocks
 * and never throws: items wait in a bounded queue as they are (turned into log records only when their
 * batch is exported), one export is in flight at a time, and an item that finds the queue full — or
 * whose export fails — is dropped and counted (the count goes into the next published chain head and
 * the `keyward_audit_export_dropped_total` metric).
 * Our own queue and OTLP/JSON encoder instead of the SDK's processor and exporter: it counts every
 * drop exactly, and the SDK's per-record objects cost more CPU than writing the audit row itself.
 */
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

export function createOtlpLogs<T>(options: OtlpLogsOptions, toRecord: (item: T) => LogRecordParts): OtlpLogs<T> {
  const serviceName = options.serviceName ?? 'keyward';
  const timeoutMs = options.timeoutMs ?? 5_000;
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

  async function exportBatch(batch: readonly T[], at: readonly number[]): Promise<void> {
    try {
      // As bytes: fetch would otherwise rescan a string body for lone surrogates (a fifth of the export's CPU).
      const body = Buffer.from(exportRequest(serviceName, batch.map(toRecord), at), 'utf8');
      const res = await fetch(options.endpoint, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(timeoutMs) });
      await res.arrayBuffer().catch(() => undefined); // drain, so the connection is reused
      if (!res.ok) drop(batch.length);
    } catch {
      drop(batch.length); // receiver down, timeout, or an item that would not encode
    }
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
    },
  };
}
