-- On-call schedules (issue 4): one validated schedule document per id (the gateway uses 'default'),
-- replaced whole or edited item by item through the API, with optimistic concurrency on `version`.
CREATE TABLE schedule_document (
  id          text        PRIMARY KEY,
  version     integer     NOT NULL CHECK (version >= 1),
  document    jsonb       NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  updated_by  text
);

-- The routing decision for each routed message: rule, recipient, escalation chain and the
-- human-readable explanation, with the schedule version it was made from.
ALTER TABLE inbox ADD COLUMN routing jsonb;
