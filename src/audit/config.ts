/** Sink options from the validated `audit` section: what src/gate.ts passes to createPostgresAuditSink. */
import { hostname } from 'node:os';
import type { Pool } from 'pg';
import type { AuditConfig } from '../config/sections/audit.js';
import type { DbLog } from '../db/log.js';
import type { PostgresAuditSinkOptions } from './postgres-sink.js';

/** Default writer (chain) name: host and pid, so replicas never share a chain by accident. */
export function defaultWriterName(): string {
  return `${hostname()}:${process.pid}`;
}

export function auditSinkOptions(audit: AuditConfig, pool: Pool, schema: string, log?: DbLog): PostgresAuditSinkOptions {
  return {
    pool,
    schema,
    batchSize: audit.batch_size,
    batchDelayMs: audit.batch_delay,
    commitDeadlineMs: audit.commit_deadline,
    writer: audit.writer ?? defaultWriterName(),
    ...(log ? { log } : {}),
  };
}
