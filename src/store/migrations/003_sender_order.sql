-- Per-sender order: a worker may claim a sender's next messages only while none of that sender's
-- messages is being processed elsewhere. Rows enter 'processing' only when claimed, never on
-- insert, so this partial index costs the ingest path nothing.
CREATE INDEX inbox_processing_sender ON inbox (sender_app, sender_facility) WHERE state = 'processing';
