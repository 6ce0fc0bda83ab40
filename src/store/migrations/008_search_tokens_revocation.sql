-- FHIR search served by indexes (src/fhir/search-columns.ts extracts these on every write):
--   tokens: per token parameter and coding 'param|system|code', 'param#c|code', 'param#s|system';
--           per reference parameter 'param>Type/id' and 'param>id'; one GIN index serves them all
--   date_start, date_end: the `date` parameter's range [start, end) (effective[x], Encounter.period)
--   search_version: the extractor that wrote them; rows below the current one are re-extracted at start
-- ADD COLUMN with a constant default rewrites no rows (PostgreSQL 11+).
ALTER TABLE fhir_resource
  ADD COLUMN tokens         text[]      NOT NULL DEFAULT '{}',
  ADD COLUMN date_start     timestamptz,
  ADD COLUMN date_end       timestamptz,
  ADD COLUMN search_version smallint    NOT NULL DEFAULT 0;
CREATE INDEX fhir_resource_tokens ON fhir_resource USING gin (tokens);
CREATE INDEX fhir_resource_date_start ON fhir_resource (resource_type, date_start) WHERE date_start IS NOT NULL;
CREATE INDEX fhir_resource_date_end ON fhir_resource (resource_type, date_end) WHERE date_end IS NOT NULL;
-- searches read subject and recipients through `tokens` now; these indexes only cost writes
DROP INDEX IF EXISTS fhir_resource_subject;
DROP INDEX IF EXISTS fhir_resource_recipients;

-- Revoked bearer tokens: one token by its `jti`, or every token signed with a key by its `kid`, per
-- issuer. `expires_at` is the revoked token's own `exp` (NULL for a key): once it has passed, the
-- token is refused anyway and the row may be purged.
CREATE TABLE revoked_token (
  kind        text        NOT NULL CHECK (kind IN ('jti', 'kid')),
  issuer      text        NOT NULL,
  value       text        NOT NULL,
  revoked_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz,
  revoked_by  text,
  PRIMARY KEY (kind, issuer, value)
);
