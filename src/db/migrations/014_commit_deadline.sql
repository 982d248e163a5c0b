-- The commit deadline, enforced where the commit happens. A batch stuck behind the chain head's row
-- lock used to go on waiting on the server after its callers had been answered audit_unavailable at
-- audit.commit_deadline (node-postgres's query_timeout does not cancel the statement), and could commit
-- once the lock went: rows of calls that were refused. This form of the compare-and-set takes the
-- head's lock first and refuses, aborting the whole statement, when it got the lock only after
-- p_not_after (the callers' deadline less a margin for the insert and the commit; keyward computes it
-- from the server's own statement_timestamp(), so the two hosts' clocks never meet).
-- The seven-argument form stays for replicas of the previous build during a rolling upgrade.
CREATE FUNCTION advance_chain_head(p_writer text, p_from bigint, p_seq bigint, p_hash text, p_recorded_at timestamptz, p_key_id text, p_mac text, p_not_after timestamptz)
RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN
  IF p_seq <= p_from THEN
    RAISE EXCEPTION 'keyward audit: a chain head only moves forward (% -> %)', p_from, p_seq USING ERRCODE = 'insufficient_privilege';
  END IF;
  PERFORM 1 FROM chain_heads WHERE writer = p_writer FOR UPDATE;
  IF clock_timestamp() > p_not_after THEN
    RAISE EXCEPTION 'keyward audit: the commit deadline passed while this batch waited for its chain head' USING ERRCODE = 'KWD01';
  END IF;
  UPDATE chain_heads SET seq = p_seq, hash = p_hash, recorded_at = p_recorded_at, key_id = p_key_id, mac = p_mac
   WHERE writer = p_writer AND seq = p_from;
  RETURN FOUND;
END
$$;

REVOKE ALL ON FUNCTION advance_chain_head(text, bigint, bigint, text, timestamptz, text, text, timestamptz) FROM PUBLIC;
