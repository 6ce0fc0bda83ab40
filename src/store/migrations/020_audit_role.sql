-- Least privilege for the audit trail and the PHI key table (README "Database roles"): the runtime
-- role may add audit events and read the trail, never rewrite or delete it; it may read and register
-- PHI keys, never change or delete them (src/store/roles.ts takes the table grants away). What it
-- still has to do with those rows goes through the functions below, owned by the schema's owner
-- (SECURITY DEFINER, search_path pinned to this schema), each doing one thing and checking its input.

-- The sealer's one write: deletes the pending rows `ids` and appends `rows` (chained in src/audit,
-- one row per pending id) to audit_event, moving the head to the last one. Fails when another
-- transaction holds the seal lock, when the counts differ (a pending row is only ever removed by
-- becoming a chain row), or when the rows do not continue the chain from the head (seq + 1, prev_hash).
CREATE FUNCTION audit_seal_pending(ids bigint[], rows jsonb) RETURNS integer LANGUAGE plpgsql SECURITY DEFINER AS $$
DECLARE
  cnt integer := jsonb_array_length(rows);
  head_seq bigint;
  head_hash text;
  deleted integer;
BEGIN
  IF cnt IS NULL OR cnt = 0 OR cnt <> coalesce(cardinality(ids), 0) OR cnt <> (SELECT count(DISTINCT i) FROM unnest(ids) AS i) THEN
    RAISE EXCEPTION 'audit_seal_pending: one chain row per distinct pending id' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  -- the seal lock (7343312; re-entrant, so true when the caller's transaction holds it): one sealer at a time
  IF NOT pg_try_advisory_xact_lock(7343312) THEN
    RAISE EXCEPTION 'audit_seal_pending: another sealer holds the lock' USING ERRCODE = 'lock_not_available';
  END IF;
  SELECT h.seq, h.hash INTO head_seq, head_hash FROM audit_chain_head h FOR UPDATE;
  IF EXISTS (
    SELECT 1 FROM (
      SELECT x.n, (x.e->>'seq')::bigint AS s, x.e->>'prevHash' AS p, lag(x.e->>'hash') OVER (ORDER BY x.n) AS lh, x.e->>'hash' AS hh
        FROM jsonb_array_elements(rows) WITH ORDINALITY AS x(e, n)) r
    WHERE r.s IS DISTINCT FROM head_seq + r.n OR r.p IS DISTINCT FROM coalesce(r.lh, head_hash) OR r.hh IS NULL) THEN
    RAISE EXCEPTION 'audit_seal_pending: the rows do not continue the chain from its head' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  DELETE FROM audit_pending WHERE id = ANY(ids);
  GET DIAGNOSTICS deleted = ROW_COUNT;
  IF deleted <> cnt THEN
    RAISE EXCEPTION 'audit_seal_pending: % of % pending rows found', deleted, cnt USING ERRCODE = 'invalid_parameter_value';
  END IF;
  INSERT INTO audit_event (seq, at, actor, actor_kind, action, type, entity_type, entity_ids, patient, outcome, outcome_code, source, request_id, mac, prev_hash, hash)
    SELECT (x.e->>'seq')::bigint, (x.e->>'at')::timestamptz, x.e->>'actor', x.e->>'actorKind', x.e->>'action', x.e->>'type', x.e->>'entityType',
           ARRAY(SELECT jsonb_array_elements_text(coalesce(x.e->'entityIds', '[]'::jsonb))), x.e->>'patient', x.e->>'outcome', x.e->>'outcomeCode',
           x.e->>'source', x.e->>'requestId', x.e->>'mac', x.e->>'prevHash', x.e->>'hash'
      FROM jsonb_array_elements(rows) WITH ORDINALITY AS x(e, n) ORDER BY x.n;
  UPDATE audit_chain_head SET seq = head_seq + cnt, hash = rows->(cnt - 1)->>'hash';
  RETURN cnt;
END $$;

-- The retention purge of audit rows (src/audit/retention.ts): deletes the rows appended before
-- `before`, up to the last seq whose row and all before it are that old (so what is kept is one
-- unbroken chain), and records the checkpoint (the last deleted row's seq and hash) with today as
-- purged_at. Refuses a cut-off younger than 30 days before the database's clock, and fails when another
-- transaction holds the retention lock (7343311). No row when nothing was old enough.
CREATE FUNCTION audit_purge(before timestamptz) RETURNS TABLE (cp_seq bigint, cp_hash text, purged bigint) LANGUAGE plpgsql SECURITY DEFINER AS $$
DECLARE
  cut bigint;
  last_seq bigint;
  last_hash text;
  cnt bigint;
BEGIN
  IF before IS NULL OR before > now() - interval '30 days' THEN
    RAISE EXCEPTION 'audit_purge: the cut-off must be at least 30 days ago' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF NOT pg_try_advisory_xact_lock(7343311) THEN
    RAISE EXCEPTION 'audit_purge: another purge holds the lock' USING ERRCODE = 'lock_not_available';
  END IF;
  PERFORM 1 FROM audit_chain_head FOR UPDATE;
  SELECT min(e.seq) - 1 INTO cut FROM audit_event e WHERE e.at >= before;
  IF cut IS NOT NULL THEN
    SELECT e.seq, e.hash INTO last_seq, last_hash FROM audit_event e WHERE e.seq = cut;
  ELSE
    SELECT e.seq, e.hash INTO last_seq, last_hash FROM audit_event e ORDER BY e.seq DESC LIMIT 1;
  END IF;
  IF last_seq IS NULL THEN RETURN; END IF;
  DELETE FROM audit_event e WHERE e.seq <= last_seq;
  GET DIAGNOSTICS cnt = ROW_COUNT;
  UPDATE audit_chain_head SET from_seq = last_seq, from_hash = last_hash, purged_at = now();
  RETURN QUERY SELECT last_seq, last_hash, cnt;
END $$;

-- `keys rotate`'s last step: marks retired the data keys other than `active` that no stored value
-- names any more (it looks for itself), and returns their ids. `active` must be a registered data key.
CREATE FUNCTION phi_key_retire_unused(active text) RETURNS SETOF text LANGUAGE plpgsql SECURITY DEFINER AS $$
DECLARE
  used text[];
BEGIN
  IF NOT EXISTS (SELECT 1 FROM phi_key k WHERE k.id = active AND k.kind = 'data') THEN
    RAISE EXCEPTION 'phi_key_retire_unused: the active key is not a registered data key' USING ERRCODE = 'invalid_parameter_value';
  END IF;
  SELECT coalesce(array_agg(DISTINCT u.k) FILTER (WHERE u.k IS NOT NULL), '{}') INTO used FROM (
    SELECT phi_key_id(raw) AS k FROM inbox WHERE octet_length(raw) > 0
    UNION SELECT phi_key_id(raw) FROM rejected WHERE octet_length(raw) > 0
    UNION SELECT phi_key_id(body) FROM fhir_resource) u;
  RETURN QUERY UPDATE phi_key k SET retired_at = now()
    WHERE k.kind = 'data' AND k.retired_at IS NULL AND k.id <> active AND NOT (k.id = ANY(used)) RETURNING k.id;
END $$;

-- Pinned to this schema (then pg_temp, last, so no temporary object shadows a table); callable by
-- the roles granted EXECUTE (src/store/roles.ts), not by PUBLIC.
DO $$
DECLARE f text;
BEGIN
  FOREACH f IN ARRAY ARRAY['audit_seal_pending(bigint[], jsonb)', 'audit_purge(timestamptz)', 'phi_key_retire_unused(text)'] LOOP
    EXECUTE format('ALTER FUNCTION %s SET search_path = pg_catalog, %I, pg_temp', f, current_schema());
    EXECUTE format('REVOKE EXECUTE ON FUNCTION %s FROM PUBLIC', f);
  END LOOP;
END $$;
