-- Held and refused calls now name the approval they waited on (calls.approval_id), so "with_approval"
-- counts only the calls an approval let through, as before.
CREATE OR REPLACE VIEW audit_agent_activity AS
SELECT c.subject,
       (date_trunc('day', c.time AT TIME ZONE 'UTC'))::date AS day,
       count(*) AS calls,
       count(*) FILTER (WHERE c.decision = 'allow') AS allowed,
       count(*) FILTER (WHERE c.decision <> 'allow') AS refused,
       count(*) FILTER (WHERE c.decision = 'allow' AND c.approval_id IS NOT NULL) AS with_approval,
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
