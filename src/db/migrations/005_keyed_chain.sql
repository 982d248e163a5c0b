-- Keyed chain: every audit row names the chain key it is authenticated with and carries its MAC
-- (HMAC-SHA256 under a key Postgres never sees, computed by keyward; see src/audit/chain-key.ts).
-- Rows written before this migration have neither: `audit verify` with a key reports them unauthenticated.
ALTER TABLE calls ADD COLUMN key_id text, ADD COLUMN mac text;
ALTER TABLE payloads ADD COLUMN key_id text, ADD COLUMN mac text;
ALTER TABLE approval_events ADD COLUMN key_id text, ADD COLUMN mac text;
ALTER TABLE chain_heads ADD COLUMN key_id text, ADD COLUMN mac text;

-- The chain's own write path. keyward's role has no INSERT or UPDATE on chain_heads (see the grants in
-- src/db/migrate.ts): it opens its head and moves it only through these functions, which run as the
-- migration role and only ever move a head forward from where it stands (compare-and-set).
CREATE FUNCTION open_chain_head(p_writer text) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path FROM CURRENT AS $$
  INSERT INTO chain_heads (writer, seq, hash, recorded_at) VALUES (p_writer, 0, repeat('0', 64), 'epoch') ON CONFLICT (writer) DO NOTHING;
$$;

CREATE FUNCTION advance_chain_head(p_writer text, p_from bigint, p_seq bigint, p_hash text, p_recorded_at timestamptz, p_key_id text, p_mac text)
RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN
  IF p_seq <= p_from THEN
    RAISE EXCEPTION 'keyward audit: a chain head only moves forward (% -> %)', p_from, p_seq USING ERRCODE = 'insufficient_privilege';
  END IF;
  UPDATE chain_heads SET seq = p_seq, hash = p_hash, recorded_at = p_recorded_at, key_id = p_key_id, mac = p_mac
   WHERE writer = p_writer AND seq = p_from;
  RETURN FOUND;
END
$$;

-- A SECURITY DEFINER function is callable by PUBLIC unless revoked: only the writer role (granted in
-- src/db/migrate.ts) may call these.
REVOKE ALL ON FUNCTION open_chain_head(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION advance_chain_head(text, bigint, bigint, text, timestamptz, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION ensure_partitions(timestamptz, timestamptz) FROM PUBLIC;
