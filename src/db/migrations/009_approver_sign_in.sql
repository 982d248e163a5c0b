-- What the approvals page shows and how approvers sign in to it.
--  * approvals: the agent's groups and OAuth client id, the masking findings of the held body (types and
--    counts, never values), and when the agent last asked (each retry of the held call), so the page can
--    say whether it is still waiting. Earlier rows get empty groups, no client id, no findings.
--  * approver_logins: one row per sign-in under way (OIDC authorization code with PKCE), keyed by the
--    sha256 of its state; deleted when the callback uses it.
--  * approver_sessions: signed-in approvers, keyed by the sha256 of the opaque cookie value (the cookie
--    itself is never stored), with the CSRF token their page must send on every decision.

ALTER TABLE approvals
  ADD COLUMN agent_groups text[] NOT NULL DEFAULT '{}',
  ADD COLUMN client_id    text,
  ADD COLUMN findings     jsonb  NOT NULL DEFAULT '[]',
  ADD COLUMN last_seen_at timestamptz;
CREATE INDEX approvals_decided ON approvals (decided_at DESC) WHERE decided_at IS NOT NULL;

CREATE TABLE approver_logins (
  state_sha256  text PRIMARY KEY,
  code_verifier text        NOT NULL,
  nonce         text        NOT NULL,
  return_to     text        NOT NULL,
  expires_at    timestamptz NOT NULL
);

CREATE TABLE approver_sessions (
  id_sha256  text PRIMARY KEY,
  subject    text        NOT NULL,
  issuer     text        NOT NULL,
  groups     text[]      NOT NULL,
  csrf_token text        NOT NULL,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL
);
CREATE INDEX approver_sessions_expiry ON approver_sessions (expires_at);
