-- A digest of each stored resource's content without meta.versionId and meta.lastUpdated, keyed
-- under the installation's PHI search key (src/store/phi.ts) so it cannot be matched against guessed
-- content, computed by the writer from the text it seals. An unchanged resource is recognised by it,
-- not by comparing bodies in SQL: the saving pipeline skips a resource whose stored digest it has
-- just looked up, and the upsert leaves a row alone whose digest is the written one. Rows stored
-- before it get theirs when the start after migration 015 seals them.
ALTER TABLE fhir_resource ADD COLUMN content_digest bytea;

-- The claim's order checks ("is an earlier row of this sender and patient still pending?") probe
-- this index. Its predicate is written unlike inbox_pending's and inbox_claim's (the same rows:
-- the CHECK on state allows four values), so the planner cannot answer a probe by scanning one
-- of those instead: with statistics taken while few rows were pending it estimated them empty and
-- read every pending row per probe (seconds per claim against a backlog of thousands).
CREATE INDEX inbox_order_pending ON inbox (sender_app, sender_facility, order_patient, id) WHERE state NOT IN ('processed', 'failed');
DROP INDEX inbox_order;
