-- Organisations (answering services, practices, hospitals): each message belongs to one, and who may
-- read it follows from that (src/auth/policy.ts). An HL7 message's organisation is its sender's
-- (SENDERS_FILE `organization`), a call note's its submitter's; rows stored before this migration,
-- and messages of senders configured without one, belong to the default organisation.
ALTER TABLE inbox ADD COLUMN organization text NOT NULL DEFAULT 'default';
-- the admin list of one organisation, in id order (keyset paging)
CREATE INDEX inbox_organization ON inbox (organization, id);

-- The organisation a signed-in person acts for (OIDC_ORGANIZATION_CLAIM, or the local account's);
-- sessions made before this migration act for the default organisation.
ALTER TABLE auth_session ADD COLUMN organization text NOT NULL DEFAULT 'default';
