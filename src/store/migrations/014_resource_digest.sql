-- A digest of each stored resource's content (SHA-256 over its canonical JSON without
-- meta.versionId and meta.lastUpdated), computed by the writer (src/store/fhir-resources.ts) from
-- the content it writes. An unchanged resource is recognised by it, not by comparing bodies in SQL:
-- the saving pipeline skips a resource whose stored digest it has just looked up, and the upsert
-- leaves a row alone whose digest is the written one. Rows stored before this migration have none
-- (NULL): a write compares bodies instead, until one changes the content and stores its digest.
ALTER TABLE fhir_resource ADD COLUMN content_digest bytea;
