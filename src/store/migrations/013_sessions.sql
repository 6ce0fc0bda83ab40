-- Sign-in sessions (OpenID Connect): a session is known by the SHA-256 of its cookie value only, so a
-- copy of this table signs nobody in. Idle and absolute expiry are both stored; `last_seen` slides the
-- idle expiry (written at most once a minute per session). Revocation (logout) is a timestamp, so every
-- replica sees it on the next request.
CREATE TABLE auth_session (
  id_hash             bytea PRIMARY KEY CHECK (octet_length(id_hash) = 32),
  issuer              text NOT NULL,
  subject             text NOT NULL,
  role                text NOT NULL CHECK (role IN ('provider', 'operator', 'supervisor', 'admin')),
  practitioner        text,
  created_at          timestamptz NOT NULL,
  last_seen           timestamptz NOT NULL,
  idle_expires_at     timestamptz NOT NULL,
  absolute_expires_at timestamptz NOT NULL,
  revoked_at          timestamptz,
  CHECK (role <> 'provider' OR practitioner IS NOT NULL)
);
CREATE INDEX auth_session_absolute_expires ON auth_session (absolute_expires_at);

-- A sign-in under way: the PKCE verifier, state and nonce of one /auth/login, kept server-side for at
-- most ten minutes and used once; the browser holds only a random handle (its hash is the key).
CREATE TABLE auth_login (
  id_hash        bytea PRIMARY KEY CHECK (octet_length(id_hash) = 32),
  state          text NOT NULL,
  nonce          text NOT NULL,
  code_verifier  text NOT NULL,
  return_to      text NOT NULL,
  expires_at     timestamptz NOT NULL
);
CREATE INDEX auth_login_expires ON auth_login (expires_at);
