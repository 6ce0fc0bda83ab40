-- Built-in local sign-in (the embedded default needs no identity provider): accounts with an argon2id
-- password hash (PHC string), an optional TOTP secret sealed with AES-256-GCM under a key kept outside
-- the database, and passkeys (WebAuthn). A local sign-in makes the same auth_session row an OpenID
-- Connect one does (issuer 'switchboard-local', subject the username).
CREATE TABLE auth_local_account (
  id             bigserial PRIMARY KEY,
  username       text NOT NULL UNIQUE CHECK (username ~ '^[a-z0-9][a-z0-9._@-]{0,63}$'),
  role           text NOT NULL CHECK (role IN ('provider', 'operator', 'supervisor', 'admin')),
  practitioner   text,
  -- the organisation an operator or supervisor works for (read by organisation scoping); free text here
  organization   text,
  password_hash  text NOT NULL CHECK (password_hash LIKE '$argon2id$%'),
  -- nonce || ciphertext || tag; NULL: no second factor enrolled
  totp_secret    bytea,
  -- the last TOTP time step accepted: a code of that step or an earlier one is refused (RFC 6238 5.2 replay)
  totp_last_step bigint,
  -- a secret enrolled over HTTP but not yet confirmed with a code from it (sealed as totp_secret is)
  totp_pending   bytea,
  disabled       boolean NOT NULL DEFAULT false,
  created_at     timestamptz NOT NULL,
  updated_at     timestamptz NOT NULL,
  CHECK (role <> 'provider' OR practitioner IS NOT NULL)
);

-- Failed sign-ins per key ('user:<name>' whether or not the account exists, so a lockout tells nothing
-- of existence; 'addr:<ip>'): the count since the last success (or since it was forgotten) and until
-- when further attempts are refused without being checked.
CREATE TABLE auth_local_throttle (
  key             text PRIMARY KEY CHECK (length(key) <= 200),
  failures        integer NOT NULL CHECK (failures >= 0),
  last_failure_at timestamptz NOT NULL,
  locked_until    timestamptz
);
CREATE INDEX auth_local_throttle_last_failure ON auth_local_throttle (last_failure_at);

-- Passkeys (WebAuthn public-key credentials) of local accounts.
CREATE TABLE auth_local_passkey (
  credential_id  text PRIMARY KEY CHECK (credential_id ~ '^[A-Za-z0-9_-]+$' AND length(credential_id) BETWEEN 16 AND 1368),
  account_id     bigint NOT NULL REFERENCES auth_local_account (id) ON DELETE CASCADE,
  public_key     bytea NOT NULL,
  sign_count     bigint NOT NULL CHECK (sign_count >= 0),
  transports     text[] NOT NULL DEFAULT '{}',
  created_at     timestamptz NOT NULL,
  last_used_at   timestamptz
);
CREATE INDEX auth_local_passkey_account ON auth_local_passkey (account_id);

-- WebAuthn challenges: kept server-side (by their SHA-256), used once, short-lived. A registration
-- challenge belongs to the signed-in account that asked for it; an authentication one to nobody yet.
CREATE TABLE auth_local_challenge (
  challenge_hash bytea PRIMARY KEY CHECK (octet_length(challenge_hash) = 32),
  purpose        text NOT NULL CHECK (purpose IN ('register', 'authenticate')),
  account_id     bigint REFERENCES auth_local_account (id) ON DELETE CASCADE,
  expires_at     timestamptz NOT NULL,
  CHECK (purpose <> 'register' OR account_id IS NOT NULL)
);
CREATE INDEX auth_local_challenge_expires ON auth_local_challenge (expires_at);
