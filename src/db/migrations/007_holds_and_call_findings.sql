-- Holds are not refusals, and a call can carry findings of its own.
--  * calls.findings: what ext_authz found on the call itself (an agent-supplied Datadog key: where it
--    was and a keyed fingerprint, never the value). '[]' for every earlier row; the chain hash covers
--    the column only when it is not empty, so earlier rows verify as they did.
--  * audit_refusals: calls refused (deny, error); held calls (decision 'pending') are in audit_holds.
--  * audit_agent_activity: `refused` no longer counts holds; `held` counts them; call findings count.
--  * audit_findings: call findings too (direction 'call').

ALTER TABLE calls ADD COLUMN findings jsonb NOT NULL DEFAULT '[]';

CREATE OR REPLACE VIEW audit_refusals AS
SELECT time, request_id, subject, connection, method, path, operation_class, decision, rule,
       reason_code, approval_id, issuer, recorded_at
FROM calls
WHERE decision NOT IN ('allow', 'pending');

CREATE VIEW audit_holds AS
SELECT time, request_id, subject, connection, method, path, operation_class, rule, approval_id,
       reason_code, issuer, recorded_at
FROM calls
WHERE decision = 'pending';

DROP VIEW audit_findings;
CREATE VIEW audit_findings AS
SELECT p.time, p.request_id, c.subject, c.connection, c.method, c.path, p.direction,
       f.value ->> 'type' AS finding_type,
       (f.value ->> 'count')::integer AS finding_count,
       ARRAY(SELECT jsonb_array_elements_text(f.value -> 'locations')) AS locations,
       p.recorded_at
FROM payloads p
CROSS JOIN LATERAL jsonb_array_elements(p.findings) AS f(value)
LEFT JOIN calls c ON c.request_id = p.request_id
UNION ALL
SELECT c.time, c.request_id, c.subject, c.connection, c.method, c.path, 'call' AS direction,
       f.value ->> 'type' AS finding_type,
       (f.value ->> 'count')::integer AS finding_count,
       ARRAY(SELECT jsonb_array_elements_text(f.value -> 'locations')) AS locations,
       c.recorded_at
FROM calls c
CROSS JOIN LATERAL jsonb_array_elements(c.findings) AS f(value);

DROP VIEW audit_agent_activity;
CREATE VIEW audit_agent_activity AS
SELECT c.subject,
       (date_trunc('day', c.time AT TIME ZONE 'UTC'))::date AS day,
       count(*) AS calls,
       count(*) FILTER (WHERE c.decision = 'allow') AS allowed,
       count(*) FILTER (WHERE c.decision NOT IN ('allow', 'pending')) AS refused,
       count(*) FILTER (WHERE c.decision = 'pending') AS held,
       count(*) FILTER (WHERE c.decision = 'allow' AND c.approval_id IS NOT NULL) AS with_approval,
       array_agg(DISTINCT c.connection) FILTER (WHERE c.connection IS NOT NULL) AS connections,
       array_agg(DISTINCT c.operation_class) FILTER (WHERE c.operation_class IS NOT NULL) AS operation_classes,
       (coalesce(sum(pf.findings), 0) + coalesce(sum(cf.findings), 0))::bigint AS findings,
       count(*) FILTER (WHERE cf.agent_keys > 0) AS with_agent_key,
       min(c.time) AS first_call,
       max(c.time) AS last_call
FROM calls c
LEFT JOIN LATERAL (
  SELECT sum((f.value ->> 'count')::integer) AS findings
  FROM payloads p CROSS JOIN LATERAL jsonb_array_elements(p.findings) AS f(value)
  WHERE p.request_id = c.request_id
) pf ON true
LEFT JOIN LATERAL (
  SELECT sum((f.value ->> 'count')::integer) AS findings,
         count(*) FILTER (WHERE f.value ->> 'type' = 'agent_supplied_key') AS agent_keys
  FROM jsonb_array_elements(c.findings) AS f(value)
) cf ON true
GROUP BY c.subject, (date_trunc('day', c.time AT TIME ZONE 'UTC'))::date;
