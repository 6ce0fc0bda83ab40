-- Delivery (README "Delivery"): escalation runs, notifications, the channel outbox, digests, the
-- timeline, push subscriptions and the shared VAPID key. Every timer is a `due_at` column with a
-- partial index; any gateway process claims due rows with FOR UPDATE SKIP LOCKED.

-- One escalation run per routed CommunicationRequest.
CREATE TABLE delivery_run (
  request_id       text        PRIMARY KEY,          -- the CommunicationRequest's FHIR id
  inbox_id         bigint      REFERENCES inbox (id),
  priority         text        NOT NULL CHECK (priority IN ('routine', 'urgent', 'asap', 'stat')),
  role             text,                              -- the routed role whose escalation chain follows
  policy           text        NOT NULL,
  direct_to        text,                              -- a provider sent to directly (routing directTo): step 1
  routed_to        text,                              -- the practitioner named at routing (start of day of a digest)
  state            text        NOT NULL CHECK (state IN ('held', 'active', 'acknowledged', 'completed', 'expired', 'exhausted')),
  step             integer     NOT NULL DEFAULT 0,    -- the last step fired; 0 = none yet
  due_at           timestamptz,                       -- the run's one timer; NULL = nothing scheduled
  due_kind         text        CHECK (due_kind IN ('step', 'digest', 'renotify')),
  renotified       integer     NOT NULL DEFAULT 0,
  received_at      timestamptz NOT NULL,              -- when the message arrived (the stale limit counts from here)
  created_at       timestamptz NOT NULL,
  updated_at       timestamptz NOT NULL,
  acknowledged_at  timestamptz,
  acknowledged_by  text,
  responded_at     timestamptz,
  closed_at        timestamptz,
  close_reason     text,
  CHECK ((due_at IS NULL) = (due_kind IS NULL))
);
-- steps and re-notifications, and (apart, so tomorrow's held routine messages never slow today's claims) digests
CREATE INDEX delivery_run_due ON delivery_run (due_at) WHERE due_at IS NOT NULL AND due_kind <> 'digest';
CREATE INDEX delivery_run_digest_due ON delivery_run (due_at) WHERE due_kind = 'digest';
CREATE INDEX delivery_run_role ON delivery_run (role, created_at) WHERE state IN ('held', 'active', 'acknowledged', 'exhausted');

-- One notification per (request, kind, seq, recipient): an escalation step (kind 'step', seq = the
-- step), a re-notification after an acknowledgement without response, or a forward. Its id is the
-- FHIR Communication's id and the Standard Webhooks `webhook-id`.
CREATE TABLE delivery_notification (
  id               text        PRIMARY KEY,
  request_id       text        NOT NULL REFERENCES delivery_run (request_id),
  kind             text        NOT NULL CHECK (kind IN ('step', 'renotify', 'forward')),
  seq              integer     NOT NULL,
  recipient        text        NOT NULL,            -- practitioner id (schedule)
  via              text        NOT NULL,            -- role:ob-oncall, backups:…, group:…, forwarded-by:…
  created_at       timestamptz NOT NULL,
  sent_at          timestamptz,
  delivered_at     timestamptz,
  read_at          timestamptz,
  acknowledged_at  timestamptz,
  responded_at     timestamptz,
  UNIQUE (request_id, kind, seq, recipient)
);
CREATE INDEX delivery_notification_recipient ON delivery_notification (recipient, request_id);

-- Routine messages held for a start of day go out as one digest per recipient and start of day.
CREATE TABLE delivery_digest (
  id           text        PRIMARY KEY,
  recipient    text        NOT NULL,
  digest_at    timestamptz NOT NULL,
  request_ids  text[]      NOT NULL,
  created_at   timestamptz NOT NULL,
  UNIQUE (recipient, digest_at)
);

-- The outbox: one row per channel of a notification (or of a digest), keyed by
-- (notification, channel, contact) = (request, step, recipient, channel). `due_at` is the next try
-- (a ladder rung, a retry, or the end of a sender's claim); NULL when nothing is pending.
CREATE TABLE delivery_attempt (
  id               bigserial   PRIMARY KEY,
  notification_id  text        REFERENCES delivery_notification (id),
  digest_id        text        REFERENCES delivery_digest (id),
  request_id       text,                                 -- for notification rows: cancel on acknowledgement
  recipient        text        NOT NULL,
  channel          text        NOT NULL,                 -- inbox | push | webhook | sms | voice | pager | email
  contact          text        NOT NULL DEFAULT '',      -- the webhook URL; '' for inbox and push
  state            text        NOT NULL CHECK (state IN ('scheduled', 'sending', 'sent', 'delivered', 'dead', 'skipped', 'cancelled')),
  attempts         integer     NOT NULL DEFAULT 0,
  due_at           timestamptz,
  created_at       timestamptz NOT NULL,
  sent_at          timestamptz,
  delivered_at     timestamptz,
  last_status      integer,
  last_error       text,                                 -- a code, never response text
  CHECK ((notification_id IS NULL) <> (digest_id IS NULL)),
  UNIQUE (notification_id, channel, contact),
  UNIQUE (digest_id, channel, contact)
);
CREATE INDEX delivery_attempt_due ON delivery_attempt (due_at) WHERE due_at IS NOT NULL;
CREATE INDEX delivery_attempt_request ON delivery_attempt (request_id) WHERE due_at IS NOT NULL;
CREATE INDEX delivery_attempt_dead ON delivery_attempt (id) WHERE state = 'dead';

-- The message's timeline: every step, attempt, receipt and decision with its reason (ids and codes,
-- never PHI). The hash-chained audit trail comes with the security work.
CREATE TABLE delivery_event (
  id               bigserial   PRIMARY KEY,
  request_id       text        NOT NULL,
  at               timestamptz NOT NULL,
  kind             text        NOT NULL,
  step             integer,
  recipient        text,
  channel          text,
  notification_id  text,
  attempt_id       bigint,
  reason           text
);
CREATE INDEX delivery_event_request ON delivery_event (request_id, id);

-- Web Push subscriptions registered by providers' apps; a 404/410 from the push service removes one.
CREATE TABLE delivery_push_subscription (
  id            bigserial   PRIMARY KEY,
  practitioner  text        NOT NULL,
  endpoint      text        NOT NULL UNIQUE,
  p256dh        text        NOT NULL,
  auth          text        NOT NULL,
  created_at    timestamptz NOT NULL
);
CREATE INDEX delivery_push_subscription_practitioner ON delivery_push_subscription (practitioner);

-- The VAPID key pair (RFC 8292), made once by whichever replica starts first, shared by all.
CREATE TABLE delivery_vapid (
  id           smallint    PRIMARY KEY CHECK (id = 1),
  public_key   text        NOT NULL,
  private_key  text        NOT NULL,
  created_at   timestamptz NOT NULL
);
