-- PHI encrypted at rest (HIPAA 164.312(a)(2)(iv); README "Security and PHI"). Values are sealed by the
-- gateway (src/crypto: AES-256-GCM envelopes, src/store/phi.ts: where), never by SQL, so this
-- migration converts nothing itself: rows stored before it keep their clear values until the gateway's
-- start converts them in batches (src/store/phi-keys.ts encryptExisting, the same pass as a key
-- rotation), before it serves. Until then they are read as they are.

-- fhir_resource: the sealed body replaces the jsonb (kept, NULL once converted, for rows stored
-- before). content_digest: a keyed digest (HMAC-SHA256 under the search key) of the content, so an
-- unchanged resource is still found unchanged (the envelope differs on every write); an unkeyed
-- digest would let anyone with a dump confirm a guessed resource. IF NOT EXISTS: the column may come
-- with an earlier migration that added an unkeyed digest; its values are replaced as rows are sealed.
ALTER TABLE fhir_resource
  ALTER COLUMN resource DROP NOT NULL,
  ADD COLUMN body bytea,
  ADD COLUMN IF NOT EXISTS content_digest bytea;

-- The key id an envelope names (magic 0x00 'S' 'B' 0x01, a length byte, the id), NULL for a value
-- that is not an envelope (stored before encryption, or empty). Used by `keys status` and rotation.
CREATE FUNCTION phi_key_id(v bytea) RETURNS text LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT CASE WHEN octet_length(v) > 5 AND substr(v, 1, 4) = '\x00534201'::bytea
              THEN convert_from(substr(v, 6, get_byte(v, 4)), 'SQL_ASCII') END
$$;

-- The length of the value an envelope holds (its bytes less the envelope's 33 + key id), for views
-- that show sizes; a value that is not an envelope, its own length.
CREATE FUNCTION phi_plain_length(v bytea) RETURNS integer LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT CASE WHEN phi_key_id(v) IS NULL THEN octet_length(v) ELSE octet_length(v) - 33 - get_byte(v, 4) END
$$;

-- The keys this database's values were sealed under: a check value per key (an HMAC of a fixed text,
-- revealing nothing of the key), so a gateway started with another key file fails closed instead of
-- writing values nobody else can read. kind 'search' is the search key (one).
CREATE TABLE phi_key (
  id             text        PRIMARY KEY,
  kind           text        NOT NULL CHECK (kind IN ('data', 'search')),
  key_check      text        NOT NULL,
  registered_at  timestamptz NOT NULL DEFAULT now(),
  retired_at     timestamptz
);

-- Whether values stored before this migration still wait to be sealed: the gateway's start converts
-- them (encryptExisting) and clears the flag, so later starts skip the scan.
CREATE TABLE phi_state (
  one              boolean PRIMARY KEY DEFAULT true CHECK (one),
  convert_pending  boolean NOT NULL
);
INSERT INTO phi_state (convert_pending)
  SELECT EXISTS (SELECT 1 FROM inbox) OR EXISTS (SELECT 1 FROM rejected) OR EXISTS (SELECT 1 FROM fhir_resource);
