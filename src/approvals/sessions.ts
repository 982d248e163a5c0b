import { createHash, randomBytes } from 'node:crypto';
import type { Pool } from 'pg';
import { quoteIdent } from '../db/sql.js';

/** A signed-in approver, as the session row holds them. */
export interface ApproverSession {
  readonly subject: string;
  readonly issuer: string;
  /** Issuer-scoped groups (identity/group-scope.ts), as read from the ID token at sign-in. */
  readonly groups: readonly string[];
  readonly csrfToken: string;
  readonly expiresAt: Date;
}

/** A sign-in under way: what the callback must check. */
export interface PendingLogin {
  readonly codeVerifier: string;
  readonly nonce: string;
  /** Approval id to open after sign-in, or "" for the list. */
  readonly returnTo: string;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** 32 random bytes, base64url: cookie values, CSRF tokens. */
export function opaqueToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Approver sign-ins and sessions in Postgres, so every replica honours them and sign-out is real.
 * Rows are keyed by the sha256 of the secret the browser holds: a database reader cannot ride a session.
 */
export function createSessionStore(options: { pool: Pool; schema: string; now?: () => Date }) {
  const { pool } = options;
  const s = quoteIdent(options.schema);
  const now = options.now ?? (() => new Date());

  return {
    async startLogin(state: string, login: PendingLogin, ttlMs: number): Promise<void> {
      await pool.query(`DELETE FROM ${s}.approver_logins WHERE expires_at <= $1`, [now()]);
      await pool.query(`INSERT INTO ${s}.approver_logins (state_sha256, code_verifier, nonce, return_to, expires_at) VALUES ($1,$2,$3,$4,$5)`, [
        sha256(state),
        login.codeVerifier,
        login.nonce,
        login.returnTo,
        new Date(now().getTime() + ttlMs),
      ]);
    },

    /** The sign-in for this state, used up: a replayed callback finds nothing. */
    async takeLogin(state: string): Promise<PendingLogin | null> {
      const r = await pool.query(`DELETE FROM ${s}.approver_logins WHERE state_sha256 = $1 RETURNING code_verifier, nonce, return_to, expires_at`, [sha256(state)]);
      const row = r.rows[0] as { code_verifier: string; nonce: string; return_to: string; expires_at: Date } | undefined;
      if (!row || row.expires_at.getTime() <= now().getTime()) return null;
      return { codeVerifier: row.code_verifier, nonce: row.nonce, returnTo: row.return_to };
    },

    /** Opens a session; returns the cookie value (only its hash is stored). */
    async create(who: { subject: string; issuer: string; groups: readonly string[] }, ttlMs: number): Promise<{ cookie: string; session: ApproverSession }> {
      const cookie = opaqueToken();
      const created = now();
      const session: ApproverSession = { ...who, groups: [...who.groups], csrfToken: opaqueToken(), expiresAt: new Date(created.getTime() + ttlMs) };
      await pool.query(`DELETE FROM ${s}.approver_sessions WHERE expires_at <= $1`, [created]);
      await pool.query(`INSERT INTO ${s}.approver_sessions (id_sha256, subject, issuer, groups, csrf_token, created_at, expires_at) VALUES ($1,$2,$3,$4,$5,$6,$7)`, [
        sha256(cookie),
        session.subject,
        session.issuer,
        [...session.groups],
        session.csrfToken,
        created,
        session.expiresAt,
      ]);
      return { cookie, session };
    },

    async get(cookie: string): Promise<ApproverSession | null> {
      const r = await pool.query(`SELECT subject, issuer, groups, csrf_token, expires_at FROM ${s}.approver_sessions WHERE id_sha256 = $1 AND expires_at > $2`, [sha256(cookie), now()]);
      const row = r.rows[0] as { subject: string; issuer: string; groups: string[]; csrf_token: string; expires_at: Date } | undefined;
      return row ? { subject: row.subject, issuer: row.issuer, groups: row.groups, csrfToken: row.csrf_token, expiresAt: row.expires_at } : null;
    },

    async end(cookie: string): Promise<void> {
      await pool.query(`DELETE FROM ${s}.approver_sessions WHERE id_sha256 = $1`, [sha256(cookie)]);
    },
  };
}

export type SessionStore = ReturnType<typeof createSessionStore>;
