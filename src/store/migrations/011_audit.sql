-- The audit trail (HIPAA 164.312(b) audit controls, (c)(1) integrity; README "Audit trail"):
-- append-only, one row per PHI access or state change, hash-chained. An event is first a row of
-- audit_pending, inserted in the transaction of the change it records (no lock: appends from every
-- replica never wait for each other); the sealer (one process at a time, an advisory lock) moves
-- pending rows into audit_event in id order, giving each the next `seq` (gapless) and its hashes:
-- `hash` = SHA-256 (or HMAC-SHA256 with AUDIT_HMAC_KEY) over a canonical encoding of the row's fields
-- and `prev_hash` (src/audit/hash.ts).
CREATE TABLE audit_pending (
  id     bigserial PRIMARY KEY,
  event  jsonb     NOT NULL     -- the event as recorded (ids and codes only), sealed within a second
);

CREATE TABLE audit_event (
  seq          bigint      PRIMARY KEY,
  at           timestamptz NOT NULL,
  actor        text        NOT NULL,              -- token subject, practitioner id, 'system', sender app^facility
  actor_kind   text        NOT NULL,              -- user | practitioner | system | sender | cli
  action       char(1)     NOT NULL,              -- FHIR AuditEvent.action: C R U D E
  type         text        NOT NULL,              -- phi.read, message.received, delivery.acknowledged, ...
  entity_type  text,                              -- FHIR resource type, 'inbox', 'rejected', 'schedule', 'token'
  entity_ids   text[]      NOT NULL DEFAULT '{}', -- ids of that type (never names, MRNs or free text)
  patient      text,                              -- a stored Patient resource id, when known
  outcome      text        NOT NULL,              -- success | failure
  outcome_code text,                              -- HTTP status or an error code
  source       text,                              -- the client's address
  request_id   text,
  mac          text        NOT NULL,              -- 'sha256' or 'hmac-sha256:<key id>'
  prev_hash    text        NOT NULL,              -- hex; the genesis row's is 64 zeros
  hash         text        NOT NULL
);
CREATE INDEX audit_event_patient ON audit_event (patient, seq) WHERE patient IS NOT NULL;
CREATE INDEX audit_event_actor ON audit_event (actor, seq);
CREATE INDEX audit_event_at ON audit_event (at);

-- The chain head: the last appended row's seq and hash (0 / zeros before any). Appends lock it.
-- `from_seq`/`from_hash` are the checkpoint a purge leaves: the seq and hash of the last purged row,
-- where verification starts.
CREATE TABLE audit_chain_head (
  one        boolean     PRIMARY KEY DEFAULT true CHECK (one),
  seq        bigint      NOT NULL,
  hash       text        NOT NULL,
  from_seq   bigint      NOT NULL DEFAULT 0,
  from_hash  text        NOT NULL DEFAULT '0000000000000000000000000000000000000000000000000000000000000000',
  purged_at  timestamptz
);
INSERT INTO audit_chain_head (seq, hash) VALUES (0, '0000000000000000000000000000000000000000000000000000000000000000');

-- Append-only for the application: rows are never updated; only a purge (below the checkpoint) deletes.
CREATE FUNCTION audit_event_no_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_event is append-only' USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event FOR EACH ROW EXECUTE FUNCTION audit_event_no_update();
