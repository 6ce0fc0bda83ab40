-- The columns the pipeline's indexes are built on compare byte by byte (COLLATE "C"), whatever the
-- database's own collation. Every one of them holds keys, never text for people to read in order:
-- resource types and ids, references ('Patient/<id>'), search entries ('code|http://loinc.org|2823-3'
-- or keyed hashes), sender names and control ids, delivery's request, notification and recipient
-- ids, and the audit trail's actor and patient ids. Under a linguistic collation (en_US.UTF-8, which
-- initdb takes from the environment on most machines, the embedded server's included) each
-- comparison in a B-tree or GIN page goes through strcoll: a mapped message writes ~15 rows with
-- ~20 `tokens` entries each, and the FHIR save's database CPU was a quarter lower with these
-- columns bytewise (bench/pipeline-save.ts on an en_US.UTF-8 database; README "Pipeline").
-- Equality, and with it every lookup, containment (@>, &&) and uniqueness, is the same under both:
-- both are deterministic. Only the order of these columns changes, which nothing shows to a user
-- (keyset pages by (last_updated, id) and (resource_type, id) compare in the column's collation,
-- as they sort). Changing a column's collation rebuilds the indexes on it, once. fhir_resource's
-- subject and recipients have had no index since migration 008 (searches read them through
-- `tokens`): they change with the row's other key columns so that every reference compares alike,
-- at no rebuild.
ALTER TABLE fhir_resource
  ALTER COLUMN resource_type TYPE text COLLATE "C",
  ALTER COLUMN id TYPE text COLLATE "C",
  ALTER COLUMN subject TYPE text COLLATE "C",
  ALTER COLUMN recipients TYPE text[] COLLATE "C",
  ALTER COLUMN identifiers TYPE text[] COLLATE "C",
  ALTER COLUMN tokens TYPE text[] COLLATE "C";

ALTER TABLE inbox
  ALTER COLUMN sender_app TYPE text COLLATE "C",
  ALTER COLUMN sender_facility TYPE text COLLATE "C",
  ALTER COLUMN control_id TYPE text COLLATE "C",
  ALTER COLUMN order_patient TYPE text COLLATE "C";

ALTER TABLE delivery_run
  ALTER COLUMN request_id TYPE text COLLATE "C",
  ALTER COLUMN role TYPE text COLLATE "C";
ALTER TABLE delivery_notification
  ALTER COLUMN id TYPE text COLLATE "C",
  ALTER COLUMN request_id TYPE text COLLATE "C",
  ALTER COLUMN kind TYPE text COLLATE "C",
  ALTER COLUMN recipient TYPE text COLLATE "C";
ALTER TABLE delivery_digest
  ALTER COLUMN id TYPE text COLLATE "C",
  ALTER COLUMN recipient TYPE text COLLATE "C";
ALTER TABLE delivery_attempt
  ALTER COLUMN notification_id TYPE text COLLATE "C",
  ALTER COLUMN digest_id TYPE text COLLATE "C",
  ALTER COLUMN request_id TYPE text COLLATE "C",
  ALTER COLUMN channel TYPE text COLLATE "C",
  ALTER COLUMN contact TYPE text COLLATE "C";
ALTER TABLE delivery_event
  ALTER COLUMN request_id TYPE text COLLATE "C";

ALTER TABLE audit_event
  ALTER COLUMN actor TYPE text COLLATE "C",
  ALTER COLUMN patient TYPE text COLLATE "C";
