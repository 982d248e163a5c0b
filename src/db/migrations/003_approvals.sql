-- Approval requests and votes. Unlike the audit tables these rows change state (pending → approved →
-- consumed); every step is also written to the append-only approval_events table, which is the record.

CREATE TABLE approvals (
  id                  text PRIMARY KEY,
  fingerprint         text        NOT NULL,
  status              text        NOT NULL CHECK (status IN ('pending', 'approved', 'denied', 'expired', 'consumed')),
  request_id          text        NOT NULL,
  issuer              text        NOT NULL,
  subject             text        NOT NULL,
  owner               text,
  connection          text        NOT NULL,
  method              text        NOT NULL,
  path                text        NOT NULL,
  operation_class     text        NOT NULL,
  rule                text        NOT NULL,
  body_sha256         text        NOT NULL,
  masked_body         text,
  content_type        text,
  approvers           text[]      NOT NULL,
  min_approvals       integer     NOT NULL CHECK (min_approvals >= 1),
  created_at          timestamptz NOT NULL,
  expires_at          timestamptz NOT NULL,
  decided_at          timestamptz,
  consumed_at         timestamptz,
  consumed_request_id text,
  deny_reason         text,
  -- The agent has been told this request expired; its next identical call opens a new request.
  expiry_reported     boolean     NOT NULL DEFAULT false
);
CREATE INDEX approvals_fingerprint ON approvals (fingerprint, created_at DESC);
CREATE INDEX approvals_open ON approvals (created_at) WHERE status IN ('pending', 'approved');

CREATE TABLE approval_votes (
  approval_id     text        NOT NULL REFERENCES approvals (id),
  approver        text        NOT NULL,
  approver_issuer text        NOT NULL,
  decision        text        NOT NULL CHECK (decision IN ('approve', 'deny')),
  reason          text,
  time            timestamptz NOT NULL,
  PRIMARY KEY (approval_id, approver)
);
