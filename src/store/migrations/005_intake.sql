-- Intake: control-id reuse never drops clinical content; call-note idempotency keys bind to the body.
--
-- Dedupe used to be (sender, MSH-10) alone, so a different message reusing a control id (a corrected
-- result, OBX-11 'C') was discarded with the first message's ACK. Now a resend is the same sender,
-- control id AND content (content_hash, computed by src/ingest/content-hash.ts); the same key with
-- other content is stored as a new message and flagged.

-- The content hash of an HL7 v2 message as src/ingest/content-hash.ts computes it (the two are
-- checked against each other by test/ingest/content-hash.int.test.ts). Used here to fill the column
-- for rows stored before this migration, so a resend of one of them is still a duplicate.
CREATE FUNCTION inbox_hl7_content_hash(raw bytea) RETURNS bytea LANGUAGE plpgsql IMMUTABLE STRICT AS $$
DECLARE
  t text;
  p integer;
  e integer;
  fs text;
  parts text[];
BEGIN
  -- PostgreSQL text cannot hold NUL: such input is hashed as received (the JS side does the same)
  IF position('\x00'::bytea IN raw) > 0 THEN RETURN sha256(raw); END IF;
  t := convert_from(raw, 'LATIN1');  -- one character per byte, reversible by convert_to
  t := regexp_replace(t, E'\r\n|\n\r|\n', E'\r', 'g');
  t := regexp_replace(t, E'\r+$', '') || E'\r';
  p := strpos(t, 'MSH');
  IF p > 0 AND length(t) > p + 2 THEN
    fs := substr(t, p + 3, 1);
    e := strpos(substr(t, p), E'\r');
    parts := string_to_array(substr(t, p, e - 1), fs);
    IF array_length(parts, 1) >= 7 THEN
      parts[7] := '';  -- parts[1] = 'MSH', parts[2] = MSH-2, ..., parts[7] = MSH-7
      t := substr(t, 1, p - 1) || array_to_string(parts, fs) || substr(t, p + e - 1);
    END IF;
  END IF;
  RETURN sha256(convert_to(t, 'LATIN1'));
END $$;

ALTER TABLE inbox ADD COLUMN content_hash bytea;
UPDATE inbox SET content_hash = CASE WHEN source IN ('mllp', 'http') THEN inbox_hl7_content_hash(raw) ELSE sha256(raw) END;
ALTER TABLE inbox ALTER COLUMN content_hash SET NOT NULL;

-- the dedupe key: a resend is the same sender, control id and content
ALTER TABLE inbox DROP CONSTRAINT inbox_sender_app_sender_facility_control_id_key;
ALTER TABLE inbox ADD CONSTRAINT inbox_dedupe_key UNIQUE (sender_app, sender_facility, control_id, content_hash);

-- A call note's Idempotency-Key names one request body: the same key with another body must be
-- refused (409), never stored beside the first. This index makes that hold under concurrent requests.
CREATE UNIQUE INDEX inbox_call_idempotency_key ON inbox (sender_app, sender_facility, control_id) WHERE source = 'calls';

-- Set on a message stored while an earlier one from the same sender has the same control id
-- (different content). Informational: both are processed.
ALTER TABLE inbox ADD COLUMN control_id_reused boolean NOT NULL DEFAULT false;
UPDATE inbox i SET control_id_reused = true
WHERE EXISTS (SELECT 1 FROM inbox o WHERE o.sender_app = i.sender_app AND o.sender_facility = i.sender_facility AND o.control_id = i.control_id AND o.id < i.id);

-- A trigger, so the group-commit INSERT stays one statement: it sees the rows of earlier statements
-- and, within one multi-row INSERT, the rows before it (PostgreSQL: a row-level BEFORE trigger's
-- queries see the effects of rows already processed by the same command). Two replicas storing the
-- same reused key at the same instant may both leave it unset: the flag informs, it decides nothing.
-- The lookup is an index probe on inbox_dedupe_key's prefix. (NOT NULL is checked after BEFORE triggers.)
CREATE FUNCTION inbox_flag_control_id_reuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  -- a row written by hand (a tool, a test) without a hash: its bytes' hash, so it still has a key
  NEW.content_hash := coalesce(NEW.content_hash, sha256(NEW.raw));
  NEW.control_id_reused := EXISTS (
    SELECT 1 FROM inbox o
    WHERE o.sender_app = NEW.sender_app AND o.sender_facility = NEW.sender_facility AND o.control_id = NEW.control_id);
  RETURN NEW;
END $$;
CREATE TRIGGER inbox_flag_control_id_reuse BEFORE INSERT ON inbox FOR EACH ROW EXECUTE FUNCTION inbox_flag_control_id_reuse();
