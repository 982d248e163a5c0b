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
    /**
     * Apply migrations at start. `false` for a role without DDL rights: `serve` then only checks that the
     * schema is at this build's version, and `keyward db migrate` (with a privileged credential) applies them.
     */
    migrate: z.boolean().default(true),
    /** Login role `keyward db migrate` grants the writer role to (the role `serve` connects as). */
    grant_to: z.string().regex(/^[a-z_][a-z0-9_]*$/).optional(),
  })
  .strict();

/** A chain key by reference: an id recorded in every row, and the secret (write it as `${env:NAME}` or `${file:PATH}`). */
const chainKey = z
  .object({
    id: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'a key id is 1-64 letters, digits, dots, dashes or underscores'),
    key: z.string().min(32, 'a chain key has at least 32 characters (e.g. `openssl rand -hex 32`)'),
  })
  .strict();

/** `audit.witness`: signed chain heads (and, over OTLP, every row) published where the database's administrators cannot rewrite them. */
const witnessSection = z
  .object({
    /** Publish each writer's signed head after this many rows… */
    every_rows: z.number().int().positive().default(1000),
    /** …or this long after the last publication, whichever comes first (only when rows were written). */
    every: duration().prefault('10s'),
    /** Append-only JSON lines file of signed heads (small installs). */
    file: z.string().min(1).optional(),
    /** Rotate the witness file once it holds this many bytes: it is renamed `FILE.<UTC time>` and a new FILE begins. */
    file_max_bytes: z.number().int().min(4096).default(64 * 1024 * 1024),
    /** …or once it is this old (whichever first). Rotated files are never deleted by keyward. */
    file_max_age: duration().prefault('1d'),
    /** OTLP/HTTP logs endpoint, e.g. `http://otel-collector:4318/v1/logs`: every audit row and every signed head as a log record. */
    otlp_endpoint: z.url({ protocol: /^https?$/ }).optional(),
    /** Records waiting for export at most; beyond, records are dropped (counted, never blocking a call). */
    queue_size: z.number().int().positive().default(8192),
    /** Records per OTLP request. */
    batch_size: z.number().int().positive().default(512),
    /** Export what waits at least this often. */
    export_interval: duration().prefault('1s'),
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
    /** HMAC key signing retention checkpoints (write it as `${env:NAME}`); `keyward audit purge` refuses to run without it. */
    checkpoint_key: z.string().min(16).optional(),
    /** The key authenticating every audit row and head (HMAC-SHA256; Postgres never sees it). Without it `audit verify` cannot vouch. */
    chain_key: chainKey.optional(),
    /** Keys that signed older rows, accepted by `audit verify` after a rotation. */
    retired_chain_keys: z.array(chainKey).default([]),
    witness: witnessSection.prefault({}),
  })
  .strict()
  .superRefine((a, ctx) => {
    const ids = [a.chain_key?.id, ...a.retired_chain_keys.map((k) => k.id)].filter((x): x is string => x !== undefined);
    const dup = ids.find((id, i) => ids.indexOf(id) !== i);
    if (dup !== undefined) ctx.addIssue({ code: 'custom', path: ['retired_chain_keys'], message: `chain key id ${JSON.stringify(dup)} is used twice: rows name their key by id` });
    if ((a.witness.file !== undefined || a.witness.otlp_endpoint !== undefined) && a.chain_key === undefined) {
      ctx.addIssue({ code: 'custom', path: ['witness'], message: 'a witness publishes signed heads: it needs audit.chain_key' });
    }
  });

/** `migrate` may be left out by programmatic callers (default: apply migrations). */
export type DatabaseConfig = Omit<z.output<typeof databaseSection>, 'migrate'> & { readonly migrate?: boolean };
export type AuditConfig = z.output<typeof auditSection>;
