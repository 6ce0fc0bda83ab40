// Local accounts, their sign-in throttles, passkeys and WebAuthn challenges (migration 017). A row's
// password hash and sealed TOTP secret leave this file only in LocalAccountRow, which the sign-in
// reads; the list view carries neither.
import type { Sql, TransactionSql } from './db.js';
import type { SessionRole } from './sessions.js';

export interface LocalAccountRow {
  id: string;
  username: string;
  role: SessionRole;
  practitioner: string | null;
  organization: string | null;
  passwordHash: string;
  totpSecret: Buffer | null;
  totpLastStep: number | null;
  totpPending: Buffer | null;
  disabled: boolean;
  createdAt: Date;
  updatedAt: Date;
}

/** What `users list` shows: never a hash or a secret. */
export interface LocalAccountView {
  username: string;
  role: SessionRole;
  practitioner: string | null;
  organization: string | null;
  totpEnrolled: boolean;
  passkeys: number;
  disabled: boolean;
  createdAt: Date;
  updatedAt: Date;
}

export interface LocalAccountInsert {
  username: string;
  role: SessionRole;
  practitioner: string | null;
  organization: string | null;
  passwordHash: string;
  now: Date;
}

type AccountDbRow = {
  id: string; username: string; role: SessionRole; practitioner: string | null; organization: string | null; password_hash: string;
  totp_secret: Buffer | null; totp_last_step: string | null; totp_pending: Buffer | null; disabled: boolean; created_at: Date; updated_at: Date;
};

const account = (r: AccountDbRow): LocalAccountRow => ({
  id: String(r.id), username: r.username, role: r.role, practitioner: r.practitioner, organization: r.organization, passwordHash: r.password_hash,
  totpSecret: r.totp_secret, totpLastStep: r.totp_last_step === null ? null : Number(r.totp_last_step), totpPending: r.totp_pending, disabled: r.disabled, createdAt: r.created_at, updatedAt: r.updated_at,
});

/** Adds an account; false when the username is taken. */
export async function insertLocalAccount(sql: Sql, a: LocalAccountInsert): Promise<boolean> {
  const rows = await sql`
    INSERT INTO auth_local_account (username, role, practitioner, organization, password_hash, created_at, updated_at)
    VALUES (${a.username}, ${a.role}, ${a.practitioner}, ${a.organization}, ${a.passwordHash}, ${a.now}, ${a.now})
    ON CONFLICT (username) DO NOTHING RETURNING 1`;
  return rows.length === 1;
}

export async function getLocalAccount(sql: Sql, username: string): Promise<LocalAccountRow | undefined> {
  const rows = await sql<AccountDbRow[]>`SELECT * FROM auth_local_account WHERE username = ${username}`;
  return rows[0] ? account(rows[0]) : undefined;
}

export async function getLocalAccountById(sql: Sql, id: string): Promise<LocalAccountRow | undefined> {
  const rows = await sql<AccountDbRow[]>`SELECT * FROM auth_local_account WHERE id = ${id}`;
  return rows[0] ? account(rows[0]) : undefined;
}

export async function listLocalAccounts(sql: Sql): Promise<LocalAccountView[]> {
  const rows = await sql<{ username: string; role: SessionRole; practitioner: string | null; organization: string | null; totp: boolean; passkeys: number; disabled: boolean; created_at: Date; updated_at: Date }[]>`
    SELECT a.username, a.role, a.practitioner, a.organization, a.totp_secret IS NOT NULL AS totp, a.disabled, a.created_at, a.updated_at,
           (SELECT count(*)::int FROM auth_local_passkey p WHERE p.account_id = a.id) AS passkeys
    FROM auth_local_account a ORDER BY a.username`;
  return rows.map((r) => ({
    username: r.username, role: r.role, practitioner: r.practitioner, organization: r.organization, totpEnrolled: r.totp, passkeys: r.passkeys,
    disabled: r.disabled, createdAt: r.created_at, updatedAt: r.updated_at,
  }));
}

/** A new password hash; false when there is no such account. */
export async function setLocalPassword(sql: Sql | TransactionSql, username: string, passwordHash: string, now: Date): Promise<boolean> {
  const rows = await sql`UPDATE auth_local_account SET password_hash = ${passwordHash}, updated_at = ${now} WHERE username = ${username} RETURNING 1`;
  return rows.length === 1;
}

/** A new sealed TOTP secret (null: none); the replay guard starts again with it. */
export async function setLocalTotp(sql: Sql | TransactionSql, username: string, sealed: Buffer | null, now: Date): Promise<boolean> {
  const rows = await sql`UPDATE auth_local_account SET totp_secret = ${sealed}, totp_pending = NULL, totp_last_step = NULL, updated_at = ${now} WHERE username = ${username} RETURNING 1`;
  return rows.length === 1;
}

/** A secret awaiting its confirming code (replacing any earlier one awaiting). */
export async function setPendingTotp(sql: Sql, username: string, sealed: Buffer, now: Date): Promise<boolean> {
  const rows = await sql`UPDATE auth_local_account SET totp_pending = ${sealed}, updated_at = ${now} WHERE username = ${username} RETURNING 1`;
  return rows.length === 1;
}

/** The pending secret becomes the account's, with `step` (the confirming code's) as the last one used. */
export async function confirmPendingTotp(sql: Sql | TransactionSql, id: string, step: number, now: Date): Promise<boolean> {
  const rows = await sql`
    UPDATE auth_local_account SET totp_secret = totp_pending, totp_pending = NULL, totp_last_step = ${step}, updated_at = ${now}
    WHERE id = ${id} AND totp_pending IS NOT NULL RETURNING 1`;
  return rows.length === 1;
}

/**
 * Records `step` as the last TOTP step used, only when it is later than the one recorded: true when
 * this call took it (a replayed or raced code gets false).
 */
export async function takeTotpStep(sql: Sql, id: string, step: number): Promise<boolean> {
  const rows = await sql`
    UPDATE auth_local_account SET totp_last_step = ${step}
    WHERE id = ${id} AND totp_secret IS NOT NULL AND (totp_last_step IS NULL OR totp_last_step < ${step}) RETURNING 1`;
  return rows.length === 1;
}

/**
 * Disables or enables an account; disabling also signs out every session it has (issuer, username),
 * in the caller's transaction. Undefined when there is no such account, else the sessions ended.
 */
export async function setLocalDisabled(tx: TransactionSql, username: string, disabled: boolean, issuer: string, now: Date): Promise<number | undefined> {
  const rows = await tx`UPDATE auth_local_account SET disabled = ${disabled}, updated_at = ${now} WHERE username = ${username} RETURNING 1`;
  if (rows.length !== 1) return undefined;
  if (!disabled) return 0;
  return revokeSessionsOf(tx, issuer, username, now);
}

/** Ends every live session of one person (a password reset or change, a disabled account), but the one `exceptIdHash` names. */
export async function revokeSessionsOf(sql: Sql | TransactionSql, issuer: string, subject: string, now: Date, exceptIdHash?: Buffer): Promise<number> {
  const rows = exceptIdHash
    ? await sql`UPDATE auth_session SET revoked_at = ${now} WHERE issuer = ${issuer} AND subject = ${subject} AND revoked_at IS NULL AND id_hash <> ${exceptIdHash} RETURNING 1`
    : await sql`UPDATE auth_session SET revoked_at = ${now} WHERE issuer = ${issuer} AND subject = ${subject} AND revoked_at IS NULL RETURNING 1`;
  return rows.length;
}

// --- throttles ---------------------------------------------------------------------------------

export interface ThrottleRow { key: string; failures: number; lastFailureAt: Date; lockedUntil: Date | null }

export async function readThrottles(sql: Sql, keys: readonly string[]): Promise<ThrottleRow[]> {
  const rows = await sql<{ key: string; failures: number; last_failure_at: Date; locked_until: Date | null }[]>`
    SELECT key, failures, last_failure_at, locked_until FROM auth_local_throttle WHERE key = ANY(${keys as string[]})`;
  return rows.map((r) => ({ key: r.key, failures: r.failures, lastFailureAt: r.last_failure_at, lockedUntil: r.locked_until }));
}

/**
 * Counts one failure of `key` atomically (a count last touched before `forgetBefore` starts again at
 * one) and locks it for the time `lockMsOf(count)` gives. Returns the count.
 */
export async function recordThrottleFailure(sql: Sql, key: string, now: Date, forgetBefore: Date, lockMsOf: (failures: number) => number): Promise<number> {
  return sql.begin(async (tx) => {
    const rows = await tx<{ failures: number }[]>`
      INSERT INTO auth_local_throttle AS t (key, failures, last_failure_at) VALUES (${key}, 1, ${now})
      ON CONFLICT (key) DO UPDATE SET
        failures = CASE WHEN t.last_failure_at < ${forgetBefore} THEN 1 ELSE t.failures + 1 END,
        last_failure_at = ${now}
      RETURNING failures`;
    const failures = rows[0]!.failures;
    const ms = lockMsOf(failures);
    await tx`UPDATE auth_local_throttle SET locked_until = ${ms > 0 ? new Date(now.getTime() + ms) : null} WHERE key = ${key}`;
    return failures;
  });
}

/**
 * Counts one request of `key` in fixed windows: the row's last_failure_at holds its window's start; a
 * window started at or before `windowStart` is over, and the count begins again at one. Returns the count in the current window and
 * when that window started.
 */
export async function countWindowed(sql: Sql, key: string, now: Date, windowStart: Date): Promise<{ count: number; since: Date }> {
  const rows = await sql<{ failures: number; last_failure_at: Date }[]>`
    INSERT INTO auth_local_throttle AS t (key, failures, last_failure_at) VALUES (${key}, 1, ${now})
    ON CONFLICT (key) DO UPDATE SET
      failures = CASE WHEN t.last_failure_at <= ${windowStart} THEN 1 ELSE t.failures + 1 END,
      last_failure_at = CASE WHEN t.last_failure_at <= ${windowStart} THEN ${now} ELSE t.last_failure_at END
    RETURNING failures, last_failure_at`;
  return { count: rows[0]!.failures, since: rows[0]!.last_failure_at };
}

export async function clearThrottle(sql: Sql, key: string): Promise<void> {
  await sql`DELETE FROM auth_local_throttle WHERE key = ${key}`;
}

/** Counts nobody has touched since `before` are deleted (so a spray of made-up names leaves no rows behind). */
export async function purgeThrottles(sql: Sql, before: Date): Promise<void> {
  await sql`DELETE FROM auth_local_throttle WHERE last_failure_at < ${before} AND (locked_until IS NULL OR locked_until < ${before})`;
}

// --- passkeys ----------------------------------------------------------------------------------

export interface PasskeyRow {
  credentialId: string;
  accountId: string;
  publicKey: Buffer;
  signCount: number;
  transports: string[];
}

export async function insertPasskey(sql: Sql | TransactionSql, p: PasskeyRow, now: Date): Promise<boolean> {
  const rows = await sql`
    INSERT INTO auth_local_passkey (credential_id, account_id, public_key, sign_count, transports, created_at)
    VALUES (${p.credentialId}, ${p.accountId}, ${p.publicKey}, ${p.signCount}, ${p.transports}, ${now})
    ON CONFLICT (credential_id) DO NOTHING RETURNING 1`;
  return rows.length === 1;
}

type PasskeyDbRow = { credential_id: string; account_id: string; public_key: Buffer; sign_count: string; transports: string[] };
const passkey = (r: PasskeyDbRow): PasskeyRow => ({ credentialId: r.credential_id, accountId: String(r.account_id), publicKey: r.public_key, signCount: Number(r.sign_count), transports: r.transports });

export async function getPasskey(sql: Sql, credentialId: string): Promise<PasskeyRow | undefined> {
  const rows = await sql<PasskeyDbRow[]>`SELECT credential_id, account_id, public_key, sign_count, transports FROM auth_local_passkey WHERE credential_id = ${credentialId}`;
  return rows[0] ? passkey(rows[0]) : undefined;
}

export async function listPasskeys(sql: Sql, accountId: string): Promise<PasskeyRow[]> {
  const rows = await sql<PasskeyDbRow[]>`SELECT credential_id, account_id, public_key, sign_count, transports FROM auth_local_passkey WHERE account_id = ${accountId} ORDER BY created_at`;
  return rows.map(passkey);
}

/** What the signed-in person sees of their passkeys: never the public key. */
export interface PasskeyView { credentialId: string; transports: string[]; createdAt: Date; lastUsedAt: Date | null }

export async function listPasskeyViews(sql: Sql, accountId: string): Promise<PasskeyView[]> {
  const rows = await sql<{ credential_id: string; transports: string[]; created_at: Date; last_used_at: Date | null }[]>`
    SELECT credential_id, transports, created_at, last_used_at FROM auth_local_passkey WHERE account_id = ${accountId} ORDER BY created_at, credential_id`;
  return rows.map((r) => ({ credentialId: r.credential_id, transports: r.transports, createdAt: r.created_at, lastUsedAt: r.last_used_at }));
}

/** Removes one passkey of an account; false when the account has no such passkey. */
export async function deletePasskey(sql: Sql | TransactionSql, accountId: string, credentialId: string): Promise<boolean> {
  const rows = await sql`DELETE FROM auth_local_passkey WHERE account_id = ${accountId} AND credential_id = ${credentialId} RETURNING 1`;
  return rows.length === 1;
}

/** Removes every passkey of an account (a lost device); returns how many. */
export async function deletePasskeys(sql: Sql | TransactionSql, username: string): Promise<number | undefined> {
  const account = await sql<{ id: string }[]>`SELECT id FROM auth_local_account WHERE username = ${username}`;
  if (!account[0]) return undefined;
  const rows = await sql`DELETE FROM auth_local_passkey WHERE account_id = ${account[0].id} RETURNING 1`;
  return rows.length;
}

/** After a use: the authenticator's new signature counter. */
export async function usePasskey(sql: Sql, credentialId: string, signCount: number, now: Date): Promise<void> {
  await sql`UPDATE auth_local_passkey SET sign_count = ${signCount}, last_used_at = ${now} WHERE credential_id = ${credentialId}`;
}

// --- WebAuthn challenges -----------------------------------------------------------------------

export type ChallengePurpose = 'register' | 'authenticate';

export async function insertChallenge(sql: Sql, hash: Buffer, purpose: ChallengePurpose, accountId: string | null, expiresAt: Date, now: Date): Promise<void> {
  await sql`DELETE FROM auth_local_challenge WHERE expires_at < ${now}`;
  await sql`INSERT INTO auth_local_challenge (challenge_hash, purpose, account_id, expires_at) VALUES (${hash}, ${purpose}, ${accountId}, ${expiresAt})`;
}

/** Takes a challenge once (the row is deleted); undefined when unknown, of another purpose, or expired at `now`. */
export async function takeChallenge(sql: Sql, hash: Buffer, purpose: ChallengePurpose, now: Date): Promise<{ accountId: string | null } | undefined> {
  const rows = await sql<{ account_id: string | null; expires_at: Date; purpose: string }[]>`
    DELETE FROM auth_local_challenge WHERE challenge_hash = ${hash} RETURNING account_id, expires_at, purpose`;
  const r = rows[0];
  if (!r || r.purpose !== purpose || r.expires_at <= now) return undefined;
  return { accountId: r.account_id === null ? null : String(r.account_id) };
}
