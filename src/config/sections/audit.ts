import { z } from 'zod';
import { duration } from '../duration.js';

/** `database`: where audit rows and approvals live. */
export const databaseSection = z
  .object({
    /** postgres:// URL of a real server. Absent → DATABASE_URL, else an embedded Postgres under `data_dir`. */
    url: z.string().optional(),
    /** Data folder of the embedded Postgres (only used without a url). */
    data_dir: z.string().default('.keyward/pg'),
    /** Port of the embedded Postgres. */
    embedded_port: z.number().int().min(1).max(65535).default(54329),
    /** Schema the audit tables live in. */
    schema: z.string().regex(/^[a-z_][a-z0-9_]*$/).default('keyward'),
    /** Connections in the pool. */
    pool_size: z.number().int().positive().default(10),
  })
  .strict();

/** `audit`: the durable record of every call. */
export const auditSection = z
  .object({
    /** Flush a group commit when this many events are waiting. */
    batch_size: z.number().int().positive().default(256),
    /** Flush a group commit at most this long after the first event waits. */
    batch_delay: duration().prefault('2ms'),
    /** A call whose audit row is not committed within this deadline is refused (audit_unavailable). */
    commit_deadline: duration().prefault('2s'),
    /** Name of this writer's hash chain; defaults to the host name and process id. */
    writer: z.string().optional(),
    /** HMAC key signing retention checkpoints (write it as `${env:NAME}`); without it checkpoints are only hash-chained. */
    checkpoint_key: z.string().min(16).optional(),
  })
  .strict();

export type DatabaseConfig = z.output<typeof databaseSection>;
export type AuditConfig = z.output<typeof auditSection>;
