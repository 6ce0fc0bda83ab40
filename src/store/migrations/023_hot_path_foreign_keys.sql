-- The foreign keys on the rows the pipeline and delivery write many of per second are dropped:
-- fhir_resource.inbox_id, delivery_run.inbox_id, delivery_notification.request_id and
-- delivery_attempt.notification_id / digest_id. Each is written in the same transaction as the row
-- it names (the inbox row being processed, the run being fired, the notification being sent), and
-- none of those parents is ever deleted, so the checks could never fail; they cost a lookup per
-- child row, and worse, a backend keeps the plan of that lookup for its lifetime: planned while the
-- parent table was nearly empty (the first minutes of an installation), it is a sequential scan,
-- run once per inserted row until an ANALYZE of the parent replaces it. test/support/references.ts
-- (danglingReferences, run at the end of the delivery flow tests)
-- checks the same references after full flows.
ALTER TABLE fhir_resource DROP CONSTRAINT IF EXISTS fhir_resource_inbox_id_fkey;
ALTER TABLE delivery_run DROP CONSTRAINT IF EXISTS delivery_run_inbox_id_fkey;
ALTER TABLE delivery_notification DROP CONSTRAINT IF EXISTS delivery_notification_request_id_fkey;
ALTER TABLE delivery_attempt DROP CONSTRAINT IF EXISTS delivery_attempt_notification_id_fkey;
ALTER TABLE delivery_attempt DROP CONSTRAINT IF EXISTS delivery_attempt_digest_id_fkey;
