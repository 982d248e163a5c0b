-- Audit tables: append-only, range-partitioned by recorded_at (the commit-side time, monotonic per
-- writer, so retention by whole partitions always removes a prefix of every writer's hash chain).
-- Runs with search_path set to the configured schema.

CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'keyward audit: % on %.% is refused (append-only)', TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TABLE calls (
  recorded_at     timestamptz NOT NULL,
  writer          text        NOT NULL,
  seq             bigint      NOT NULL,
  prev_hash       text        NOT NULL,
  hash            text        NOT NULL,
  time            timestamptz NOT NULL,
  request_id      text        NOT NULL,
  issuer          text,
  subject         text,
  groups          text[]      NOT NULL,
  client_id       text,
  connection      text,
  method          text        NOT NULL,
  path            text        NOT NULL,
  operation_class text,
  decision        text        NOT NULL,
  rule            text,
  approval_id     text,
  reason_code     text,
  dry_run         jsonb       NOT NULL,
  latency_ms      double precision NOT NULL,
  config_version  text        NOT NULL,
  PRIMARY KEY (writer, seq, recorded_at)
) PARTITION BY RANGE (recorded_at);

CREATE TABLE payloads (
  recorded_at      timestamptz NOT NULL,
  writer           text        NOT NULL,
  seq              bigint      NOT NULL,
  prev_hash        text        NOT NULL,
  hash             text        NOT NULL,
  time             timestamptz NOT NULL,
  request_id       text        NOT NULL,
  direction        text        NOT NULL CHECK (direction IN ('request', 'response')),
  content_type     text,
  content_encoding text,
  body_sha256      text        NOT NULL,
  masked_body      text,
  findings         jsonb       NOT NULL,
  upstream_status  integer,
  reason_code      text,
  latency_ms       double precision NOT NULL,
  PRIMARY KEY (writer, seq, recorded_at)
) PARTITION BY RANGE (recorded_at);

CREATE TABLE approval_events (
  recorded_at timestamptz NOT NULL,
  writer      text        NOT NULL,
  seq         bigint      NOT NULL,
  prev_hash   text        NOT NULL,
  hash        text        NOT NULL,
  time        timestamptz NOT NULL,
  request_id  text        NOT NULL,
  approval_id text        NOT NULL,
  step        text        NOT NULL,
  actor       text,
  reason      text,
  PRIMARY KEY (writer, seq, recorded_at)
) PARTITION BY RANGE (recorded_at);

-- Compliance queries: by request, by agent, by connection, refusals, time ranges. Plain time ranges use
-- BRIN (event time follows insertion order, and BRIN costs next to nothing on the write path).
CREATE INDEX calls_request_id ON calls (request_id);
CREATE INDEX calls_subject_time ON calls (subject, time);
CREATE INDEX calls_connection_time ON calls (connection, time);
CREATE INDEX calls_time ON calls USING brin (time);
CREATE INDEX calls_refusals ON calls (time) WHERE decision <> 'allow';
CREATE INDEX payloads_request_id ON payloads (request_id);
CREATE INDEX payloads_time ON payloads USING brin (time);
CREATE INDEX approval_events_request_id ON approval_events (request_id);
CREATE INDEX approval_events_approval_id ON approval_events (approval_id);

CREATE TRIGGER calls_append_only BEFORE UPDATE OR DELETE ON calls FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER payloads_append_only BEFORE UPDATE OR DELETE ON payloads FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER approval_events_append_only BEFORE UPDATE OR DELETE ON approval_events FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER calls_no_truncate BEFORE TRUNCATE ON calls FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
CREATE TRIGGER payloads_no_truncate BEFORE TRUNCATE ON payloads FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();
CREATE TRIGGER approval_events_no_truncate BEFORE TRUNCATE ON approval_events FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

-- Where each writer's chain stands. Mutable on purpose (it is a cursor, not a record): each batch moves
-- its writer's head with a compare-and-set, so a batch built on a stale head is refused, never forked.
CREATE TABLE chain_heads (
  writer      text PRIMARY KEY,
  seq         bigint      NOT NULL,
  hash        text        NOT NULL,
  recorded_at timestamptz NOT NULL
);

-- Retention checkpoints: per writer, the last purged row (seq + hash). Checkpoints are chained among
-- themselves and optionally HMAC-signed (audit.checkpoint_key), and append-only like the audit rows.
CREATE TABLE chain_checkpoints (
  id                   bigserial PRIMARY KEY,
  created_at           timestamptz NOT NULL,
  purged_before        timestamptz NOT NULL,
  writer               text        NOT NULL,
  seq                  bigint      NOT NULL,
  hash                 text        NOT NULL,
  prev_checkpoint_hash text        NOT NULL,
  checkpoint_hash      text        NOT NULL,
  signature            text
);
CREATE INDEX chain_checkpoints_writer ON chain_checkpoints (writer, seq);
CREATE TRIGGER chain_checkpoints_append_only BEFORE UPDATE OR DELETE ON chain_checkpoints FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER chain_checkpoints_no_truncate BEFORE TRUNCATE ON chain_checkpoints FOR EACH STATEMENT EXECUTE FUNCTION refuse_change();

-- Monthly partitions of every audit table covering [from_time, to_time]. SECURITY DEFINER so the app
-- role (INSERT/SELECT only) can have next month's partitions created without CREATE on the schema.
CREATE FUNCTION ensure_partitions(from_time timestamptz, to_time timestamptz) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
  month timestamptz := date_trunc('month', from_time AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
  tbl text;
  part text;
  created integer := 0;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext(current_schema() || '.ensure_partitions'));
  WHILE month <= to_time LOOP
    FOREACH tbl IN ARRAY ARRAY['calls', 'payloads', 'approval_events'] LOOP
      part := tbl || '_p' || to_char(month AT TIME ZONE 'UTC', 'YYYY_MM');
      IF to_regclass(quote_ident(current_schema()) || '.' || quote_ident(part)) IS NULL THEN
        EXECUTE format('CREATE TABLE %I.%I PARTITION OF %I.%I FOR VALUES FROM (%L) TO (%L)',
          current_schema(), part, current_schema(), tbl, month, month + interval '1 month');
        created := created + 1;
      END IF;
    END LOOP;
    month := month + interval '1 month';
  END LOOP;
  RETURN created;
END
$$;
