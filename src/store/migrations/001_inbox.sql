-- The inbox: every accepted message, raw bytes as received, stored before it is acknowledged.
CREATE TABLE inbox (
  id               bigserial PRIMARY KEY,
  source           text        NOT NULL CHECK (source IN ('mllp', 'http', 'calls', 'fhir')),
  -- dedupe key: same sender (MSH-3, MSH-4) + control id (MSH-10) is the same message
  sender_app       text        NOT NULL DEFAULT '',
  sender_facility  text        NOT NULL DEFAULT '',
  control_id       text        NOT NULL,
  message_type     text        NOT NULL,            -- 'ORU^R01', 'ADT^A01', 'CALL'
  version          text,
  charset          text,
  raw              bytea       NOT NULL,
  received_at      timestamptz NOT NULL DEFAULT now(),
  peer             text,                            -- remote address (no PHI)
  ack_mode         text        NOT NULL DEFAULT 'original' CHECK (ack_mode IN ('original', 'enhanced', 'none')),
  ack              bytea,                           -- the accept ACK as sent, replayed for duplicates
  app_ack          bytea,                           -- enhanced mode: the application ACK after processing
  state            text        NOT NULL DEFAULT 'received' CHECK (state IN ('received', 'processing', 'processed', 'failed')),
  attempts         integer     NOT NULL DEFAULT 0,
  claimed_until    timestamptz,
  processed_at     timestamptz,
  error_code       text,
  error            text,
  mapping_report   jsonb,
  UNIQUE (sender_app, sender_facility, control_id)
);
-- indexes cost every insert (the ingest hot path): the unique key, the work queue, and failures only
CREATE INDEX inbox_pending ON inbox (id) WHERE state IN ('received', 'processing');
CREATE INDEX inbox_failed ON inbox (id) WHERE state = 'failed';

-- Input that was refused (AR/AE, 4xx), kept byte for byte so an integration engineer can see why.
CREATE TABLE rejected (
  id           bigserial   PRIMARY KEY,
  source       text        NOT NULL,
  received_at  timestamptz NOT NULL DEFAULT now(),
  peer         text,
  control_id   text,
  error_code   text        NOT NULL,
  reason       text        NOT NULL,
  raw          bytea       NOT NULL,
  ack          bytea
);

-- FHIR resources produced by mapping (and later delivery). Search columns are extracted on write.
CREATE TABLE fhir_resource (
  resource_type  text        NOT NULL,
  id             text        NOT NULL,
  version_id     integer     NOT NULL DEFAULT 1,
  last_updated   timestamptz NOT NULL DEFAULT now(),
  inbox_id       bigint      REFERENCES inbox (id),
  subject        text,        -- 'Patient/<id>' (patient / subject reference)
  status         text,
  priority       text,
  recipients     text[]      NOT NULL DEFAULT '{}',
  identifiers    text[]      NOT NULL DEFAULT '{}',  -- 'system|value'
  resource       jsonb       NOT NULL,
  PRIMARY KEY (resource_type, id)
);
CREATE INDEX fhir_resource_updated ON fhir_resource (resource_type, last_updated, id);
CREATE INDEX fhir_resource_subject ON fhir_resource (resource_type, subject);
CREATE INDEX fhir_resource_recipients ON fhir_resource USING gin (recipients);
CREATE INDEX fhir_resource_identifiers ON fhir_resource USING gin (identifiers);
