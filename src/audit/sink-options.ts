/** Sink options from the validated `audit` section: what src/gate.ts passes to createPostgresAuditSink. */
import { hostname } from 'node:os';
import type { Pool } from 'pg';
import type { AuditConfig } from '../config/sections/audit.js';
import type { DbLog } from '../db/log.js';
import { createKeyring, type ChainKeyring } from './chain-key.js';
import { createFileWitness } from './file-witness.js';
import { createOtlpWitness } from './otlp-witness.js';
import type { PostgresAuditSinkOptions } from './postgres-sink.js';
import { createWitness, type WitnessSink } from './witness.js';

/** Default writer (chain) name: host and pid, so replicas never share a chain by accident. */
export function defaultWriterName(): string {
  return `${hostname()}:${process.pid}`;
}

export interface WitnessHooks {
  /** Export records dropped (queue full or receiver failing): the metric. */
  readonly onExportDrop?: (n: number) => void;
  readonly serviceName?: string;
}

export function auditSinkOptions(audit: AuditConfig, pool: Pool, schema: string, log?: DbLog, hooks: WitnessHooks = {}): PostgresAuditSinkOptions {
  const key = audit.chain_key;
  if (!key) log?.warn({}, 'audit.chain_key is not set: audit rows are hash-chained but not keyed, and `keyward audit verify` cannot vouch for them');
  const sinks: WitnessSink[] = [];
  if (key && audit.witness.file) sinks.push(createFileWitness(audit.witness.file, { maxBytes: audit.witness.file_max_bytes, maxAgeMs: audit.witness.file_max_age }));
  if (key && audit.witness.otlp_endpoint) {
    const w = audit.witness;
    sinks.push(
      createOtlpWitness({
        endpoint: w.otlp_endpoint!,
        queueSize: w.queue_size,
        batchSize: w.batch_size,
        intervalMs: w.export_interval,
        ...(hooks.serviceName ? { serviceName: hooks.serviceName } : {}),
        ...(hooks.onExportDrop ? { onDrop: hooks.onExportDrop } : {}),
      }),
    );
  }
  return {
    pool,
    schema,
    batchSize: audit.batch_size,
    batchDelayMs: audit.batch_delay,
    commitDeadlineMs: audit.commit_deadline,
    writer: audit.writer ?? defaultWriterName(),
    ...(key ? { chainKey: { id: key.id, key: key.key } } : {}),
    ...(key && sinks.length > 0 ? { observer: createWitness({ key, sinks, everyRows: audit.witness.every_rows, everyMs: audit.witness.every }) } : {}),
    ...(log ? { log } : {}),
  };
}

/** The keys `audit verify` accepts, or undefined without audit.chain_key. */
export function verifyKeyring(audit: AuditConfig): ChainKeyring | undefined {
  if (!audit.chain_key) return undefined;
  return createKeyring(audit.chain_key, audit.retired_chain_keys);
}
