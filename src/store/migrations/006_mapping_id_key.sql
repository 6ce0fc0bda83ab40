-- The installation's secret for resource ids (src/mapping/ids.ts: HMAC-SHA-256 of each resource's
-- mapping key). One row, shared by every replica. The key itself is written by the first gateway
-- (or `switchboard migrate`) to start, from PostgreSQL's own randomness or the MAPPING_ID_KEY pin
-- (src/store/id-key.ts), so a fresh database can be pinned for tests.
-- Resources stored before this migration have MurmurHash3 ids: rekey_pending says they must be
-- re-keyed once (src/resource-ids.ts) before anything maps with the new ids.
CREATE TABLE mapping_id_key (
  singleton      boolean     PRIMARY KEY DEFAULT true CHECK (singleton),
  id_key         bytea       CHECK (octet_length(id_key) >= 16),
  created_at     timestamptz,
  rekey_pending  boolean     NOT NULL,
  rekeyed_at     timestamptz
);
INSERT INTO mapping_id_key (rekey_pending) SELECT EXISTS (SELECT 1 FROM fhir_resource);
