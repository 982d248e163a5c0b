import { randomUUID } from 'node:crypto';
import type { Pool, PoolClient } from 'pg';
import type { ApprovalStepEvent } from '../audit/rows.js';
import { KeywardError } from '../errors.js';
import { quoteIdent } from '../db/sql.js';
import type { ApprovalWindow } from '../config/sections/approvals.js';
import { approverRefusal, effectiveStatus, tally, type ApprovalStatus, type Vote } from './rules.js';

export interface NewApproval {
  readonly fingerprint: string;
  readonly requestId: string;
  readonly issuer: string;
  readonly subject: string;
  readonly owner: string | null;
  readonly connection: string;
  readonly method: string;
  readonly path: string;
  readonly operationClass: string;
  readonly rule: string;
  readonly bodySha256: string;
  /** The masked body and what masking found in it (types and counts), computed only when a new request is stored (retries of a held call skip it). */
  readonly maskedBody: () => Promise<{ readonly text: string; readonly findings: readonly ApprovalFinding[] } | null>;
  /** The agent's groups (as in its token) and OAuth client, shown to approvers. */
  readonly groups?: readonly string[];
  readonly clientId?: string | null;
  readonly contentType: string | null;
  readonly approvers: readonly string[];
  readonly minApprovals: number;
  readonly ttlMs: number;
}

/** What masking found in a held body: a type and how many, never a value or a location. */
export interface ApprovalFinding {
  readonly type: string;
  readonly count: number;
}

export interface ApprovalRecord {
  readonly id: string;
  readonly status: ApprovalStatus;
  readonly request_id: string;
  readonly issuer: string;
  readonly subject: string;
  readonly owner: string | null;
  readonly connection: string;
  readonly method: string;
  readonly path: string;
  readonly operation_class: string;
  readonly rule: string;
  readonly body_sha256: string;
  readonly masked_body: string | null;
  readonly content_type: string | null;
  readonly approvers: readonly string[];
  readonly min_approvals: number;
  readonly created_at: Date;
  readonly expires_at: Date;
  readonly decided_at: Date | null;
  readonly consumed_at: Date | null;
  readonly consumed_request_id: string | null;
  readonly deny_reason: string | null;
  readonly agent_groups: readonly string[];
  readonly client_id: string | null;
  readonly findings: readonly ApprovalFinding[];
  /** Last time the agent's held call asked for this approval (creation or a retry). */
  readonly last_seen_at: Date | null;
  readonly votes: readonly (Vote & { reason: string | null; time: Date })[];
}

export interface ApproverIdentity {
  readonly subject: string;
  readonly issuer: string;
  readonly groups: readonly string[];
}

export interface ApprovalStoreOptions {
  readonly pool: Pool;
  readonly schema: string;
  /** Durable audit of every step (the append-only approval_events table). */
  readonly audit: (event: ApprovalStepEvent) => Promise<void>;
  readonly now?: () => Date;
}

/** NOTIFY channel carrying approval ids whose state changed; one per schema. */
export function approvalChannel(schema: string): string {
  return `keyward_approvals_${schema}`;
}

/**
 * Approval requests in Postgres. State changes are single statements or row-locked transactions,
 * so concurrent retries and replicas agree: an approval is consumed exactly once.
 */
export function createApprovalStore(options: ApprovalStoreOptions) {
  const { pool, schema } = options;
  const s = quoteIdent(schema);
  const now = options.now ?? (() => new Date());
  const channel = approvalChannel(schema);

  const step = (a: { id: string; request_id: string }, name: string, actor: string | null, reason: string | null, requestId = a.request_id) =>
    options.audit({ kind: 'approval', time: now(), request_id: requestId, approval_id: a.id, step: name, actor, reason });

  async function tx<T>(fn: (c: PoolClient) => Promise<T>): Promise<T> {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const out = await fn(client);
      await client.query('COMMIT');
      return out;
    } catch (e) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      client.release();
    }
  }

  async function load(client: Pool | PoolClient, id: string, lock = false): Promise<ApprovalRecord | null> {
    const r = await client.query(`SELECT * FROM ${s}.approvals WHERE id = $1${lock ? ' FOR UPDATE' : ''}`, [id]);
    if (r.rowCount === 0) return null;
    const votes = await client.query(`SELECT approver, decision, reason, time FROM ${s}.approval_votes WHERE approval_id = $1 ORDER BY time`, [id]);
    const row = r.rows[0] as Omit<ApprovalRecord, 'votes'>;
    return { ...row, status: effectiveStatus(row.status, row.expires_at, now()), votes: votes.rows as ApprovalRecord['votes'] };
  }

  async function markExpired(a: ApprovalRecord): Promise<void> {
    const r = await pool.query(`UPDATE ${s}.approvals SET status = 'expired', decided_at = $2 WHERE id = $1 AND status IN ('pending', 'approved') RETURNING id`, [a.id, now()]);
    if (r.rowCount) await step(a, 'expired', null, null);
  }

  return {
    channel,
    get: (id: string) => load(pool, id),

    /**
     * The open approval for this exact call, creating a pending one when there is none. An expired
     * one is reported once (then a retry opens a new request); a consumed one never counts again.
     */
    async open(input: NewApproval): Promise<{ approval: ApprovalRecord; created: boolean }> {
      const found = await tx(async (c) => {
        await c.query('SELECT pg_advisory_xact_lock(hashtext($1))', [input.fingerprint]);
        const latest = await c.query(`SELECT id FROM ${s}.approvals WHERE fingerprint = $1 AND status <> 'consumed' AND NOT expiry_reported ORDER BY created_at DESC LIMIT 1`, [input.fingerprint]);
        if (latest.rowCount) {
          const a = await load(c, (latest.rows[0] as { id: string }).id);
          if (a?.status === 'expired') {
            // Tell the agent once; its next identical call starts a new request.
            await c.query(`UPDATE ${s}.approvals SET expiry_reported = true WHERE id = $1`, [a.id]);
            return { approval: a, created: false };
          }
          if (a && !(a.status === 'denied' && a.expires_at.getTime() <= now().getTime())) {
            // The agent is still asking: the page shows it as waiting.
            await c.query(`UPDATE ${s}.approvals SET last_seen_at = $2 WHERE id = $1`, [a.id, now()]);
            return { approval: { ...a, last_seen_at: now() }, created: false };
          }
        }
        const id = randomUUID();
        const masked = await input.maskedBody();
        const created = now();
        await c.query(
          `INSERT INTO ${s}.approvals (id, fingerprint, status, request_id, issuer, subject, owner, connection, method, path, operation_class, rule, body_sha256, masked_body, content_type, approvers, min_approvals, created_at, expires_at, agent_groups, client_id, findings, last_seen_at)
           VALUES ($1,$2,'pending',$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$17)`,
          [
            id, input.fingerprint, input.requestId, input.issuer, input.subject, input.owner, input.connection, input.method, input.path, input.operationClass, input.rule, input.bodySha256,
            masked?.text ?? null, input.contentType, [...input.approvers], input.minApprovals, created, new Date(created.getTime() + input.ttlMs),
            [...(input.groups ?? [])], input.clientId ?? null, JSON.stringify((masked?.findings ?? []).map((f) => ({ type: f.type, count: f.count }))),
          ],
        );
        await c.query('SELECT pg_notify($1, $2)', [channel, id]);
        return { approval: (await load(c, id))!, created: true };
      });
      if (found.created) await step(found.approval, 'requested', found.approval.subject, null);
      return found;
    },

    /** Uses an approved approval for one call. Exactly one concurrent caller wins. */
    async consume(id: string, requestId: string): Promise<boolean> {
      const r = await pool.query(
        `UPDATE ${s}.approvals SET status = 'consumed', consumed_at = $3, consumed_request_id = $2 WHERE id = $1 AND status = 'approved' AND expires_at > $3 RETURNING id, request_id`,
        [id, requestId, now()],
      );
      if (!r.rowCount) return false;
      await step({ id, request_id: (r.rows[0] as { request_id: string }).request_id }, 'consumed', null, null, requestId);
      return true;
    },

    markExpired,

    /** Records one human's decision; refusals are KeywardErrors with approval_* codes. */
    async vote(id: string, approver: ApproverIdentity, decision: 'approve' | 'deny', reason: string | null, window: ApprovalWindow | undefined): Promise<ApprovalRecord> {
      const result = await tx(async (c) => {
        const a = await load(c, id, true);
        if (!a) throw new KeywardError('approval_not_found');
        if (a.status === 'expired') return { kind: 'expired' as const, approval: a };
        if (a.status !== 'pending') throw new KeywardError('approval_closed');
        const refusal = approverRefusal({ approver, agent: { subject: a.subject, owner: a.owner }, approverGroups: a.approvers, window, votes: a.votes, now: now() });
        if (refusal) throw new KeywardError(refusal);
        await c.query(`INSERT INTO ${s}.approval_votes (approval_id, approver, approver_issuer, decision, reason, time) VALUES ($1,$2,$3,$4,$5,$6)`, [id, approver.subject, approver.issuer, decision, reason, now()]);
        const status = tally([...a.votes, { approver: approver.subject, decision }], a.min_approvals);
        if (status !== 'pending') {
          await c.query(`UPDATE ${s}.approvals SET status = $2, decided_at = $3, deny_reason = $4 WHERE id = $1`, [id, status, now(), status === 'denied' ? reason : null]);
        }
        return { kind: 'updated' as const, approval: (await load(c, id))! };
      });
      if (result.kind === 'expired') {
        await markExpired(result.approval);
        throw new KeywardError('approval_closed', 'expired');
      }
      const a = result.approval;
      await step(a, decision === 'approve' ? 'approval' : 'denial', approver.subject, reason);
      if (a.status === 'approved') await step(a, 'approved', null, null);
      // Wake held Checks on every replica only once the decision is in the audit record.
      await pool.query('SELECT pg_notify($1, $2)', [channel, id]);
      return a;
    },

    /**
     * Records a Slack request's signature; false when it was seen before (a replay). Signatures older
     * than Slack's window are forgotten: such a request is refused as stale before it gets here.
     */
    async rememberSlackRequest(signature: string, windowMs: number): Promise<boolean> {
      const at = now();
      await pool.query(`DELETE FROM ${s}.slack_interactions WHERE received_at < $1`, [new Date(at.getTime() - 2 * windowMs)]);
      const r = await pool.query(`INSERT INTO ${s}.slack_interactions (signature, received_at) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING signature`, [signature, at]);
      return r.rowCount === 1;
    },

    /**
     * Decided approvals (approved, denied, expired, consumed), newest decision first. `q` matches
     * (case-blind, as a substring) the agent, path, rule, connection, id, denial reason and the votes' approvers and reasons.
     */
    async history(q: string, limit = 100): Promise<ApprovalRecord[]> {
      const term = `%${q.replace(/[\\%_]/g, (m) => `\\${m}`)}%`;
      const r = await pool.query(
        `SELECT a.id FROM ${s}.approvals a
         WHERE (a.status IN ('denied', 'expired', 'consumed') OR a.expires_at <= $2)
           AND ($1 = '%%' OR a.subject ILIKE $1 OR a.path ILIKE $1 OR a.rule ILIKE $1 OR a.connection ILIKE $1 OR a.id ILIKE $1 OR coalesce(a.deny_reason, '') ILIKE $1
                OR EXISTS (SELECT 1 FROM ${s}.approval_votes v WHERE v.approval_id = a.id AND (v.approver ILIKE $1 OR coalesce(v.reason, '') ILIKE $1)))
         ORDER BY coalesce(a.decided_at, a.consumed_at, a.expires_at) DESC LIMIT ${Number(limit)}`,
        [term, now()],
      );
      const out: ApprovalRecord[] = [];
      for (const row of r.rows as { id: string }[]) {
        const a = await load(pool, row.id);
        if (a) out.push(a);
      }
      return out;
    },

    async list(status: ApprovalStatus | 'open' = 'pending', limit = 100): Promise<ApprovalRecord[]> {
      const where = status === 'open' ? `status IN ('pending', 'approved')` : 'status = $1';
      const r = await pool.query(`SELECT id FROM ${s}.approvals WHERE ${where} ORDER BY created_at DESC LIMIT ${Number(limit)}`, status === 'open' ? [] : [status]);
      const out: ApprovalRecord[] = [];
      for (const row of r.rows as { id: string }[]) {
        const a = await load(pool, row.id);
        if (a && (status === 'open' || a.status === status)) out.push(a);
      }
      return out;
    },
  };
}

export type ApprovalStore = ReturnType<typeof createApprovalStore>;
