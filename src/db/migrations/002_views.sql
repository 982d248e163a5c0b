-- Views for compliance reviewers: plain column names, no hashes, one concept each.

CREATE VIEW audit_calls AS
SELECT time, request_id, issuer, subject, groups, client_id, connection, method, path,
       operation_class, decision, rule, approval_id, reason_code, latency_ms, config_version,
       dry_run, recorded_at, writer, seq
FROM calls;

CREATE VIEW audit_refusals AS
SELECT time, request_id, subject, connection, method, path, operation_class, decision, rule,
       reason_code, approval_id, issuer, recorded_at
FROM calls
WHERE decision <> 'allow';

CREATE VIEW audit_payloads AS
SELECT p.time, p.request_id, c.subject, c.connection, p.direction, p.content_type, p.content_encoding,
       p.body_sha256, p.masked_body, p.findings, p.upstream_status, p.reason_code, p.latency_ms, p.recorded_at
FROM payloads p
LEFT JOIN calls c ON c.request_id = p.request_id;

CREATE VIEW audit_findings AS
SELECT p.time, p.request_id, c.subject, c.connection, c.method, c.path, p.direction,
       f.value ->> 'type' AS finding_type,
       (f.value ->> 'count')::integer AS finding_count,
       ARRAY(SELECT jsonb_array_elements_text(f.value -> 'locations')) AS locations,
       p.recorded_at
FROM payloads p
CROSS JOIN LATERAL jsonb_array_elements(p.findings) AS f(value)
LEFT JOIN calls c ON c.request_id = p.request_id;

CREATE VIEW audit_approvals AS
SELECT a.time, a.approval_id, a.request_id, a.step, a.actor, a.reason,
       c.subject AS requested_by, c.connection, c.method, c.path, c.operation_class, a.recorded_at
FROM approval_events a
LEFT JOIN calls c ON c.request_id = a.request_id;

CREATE VIEW audit_agent_activity AS
SELECT c.subject,
       (date_trunc('day', c.time AT TIME ZONE 'UTC'))::date AS day,
       count(*) AS calls,
       count(*) FILTER (WHERE c.decision = 'allow') AS allowed,
       count(*) FILTER (WHERE c.decision <> 'allow') AS refused,
       count(*) FILTER (WHERE c.approval_id IS NOT NULL) AS with_approval,
       array_agg(DISTINCT c.connection) FILTER (WHERE c.connection IS NOT NULL) AS connections,
       array_agg(DISTINCT c.operation_class) FILTER (WHERE c.operation_class IS NOT NULL) AS operation_classes,
       coalesce(sum(pf.findings), 0)::bigint AS findings,
       min(c.time) AS first_call,
       max(c.time) AS last_call
FROM calls c
LEFT JOIN LATERAL (
  SELECT sum((f.value ->> 'count')::integer) AS findings
  FROM payloads p CROSS JOIN LATERAL jsonb_array_elements(p.findings) AS f(value)
  WHERE p.request_id = c.request_id
) pf ON true
GROUP BY c.subject, (date_trunc('day', c.time AT TIME ZONE 'UTC'))::date;
