// Sign-in sessions and sign-ins under way (tables auth_session, auth_login; migration 013). Rows are
// keyed by the SHA-256 of the cookie value: the value itself is never stored.
import type { Sql, TransactionSql } from './db.js';
import { DEFAULT_ORGANIZATION } from './inbox.js';

/** The issuer of local accounts' sessions (src/auth's LOCAL_ACCOUNT_ISSUER): their lookup joins the account. */
export const LOCAL_SESSION_ISSUER = 'switchboard-local';

export type SessionRole = 'provider' | 'operator' | 'supervisor' | 'admin';

export interface SessionRow {
  issuer: string;
  subject: string;
  role: SessionRole;
  practitioner: string | null;
  /** the organisation the person acts for (migration 018: 'default' for sessions made before it) */
  organization: string;
  createdAt: Date;
  lastSeen: Date;
  idleExpiresAt: Date;
  absoluteExpiresAt: Date;
  revokedAt: Date | null;
  /** a local account's session whose account is disabled (or gone): refused like a revoked one */
  accountDisabled?: boolean;
}

export interface SessionInsert {
  idHash: Buffer;
  issuer: string;
  subject: string;
  role: SessionRole;
  practitioner: string | null;
  /** the person's organisation; none: the default organisation */
  organization?: string | undefined;
  now: Date;
  idleExpiresAt: Date;
  absoluteExpiresAt: Date;
}

export interface LoginRow {
  state: string;
  nonce: string;
  codeVerifier: string;
  returnTo: string;
}

/**
 * Stores a new session; on the way, sessions ended more than a day before `now`, expired WebAuthn
 * challenges and sign-in throttle counts untouched (and unlocked) for a day are deleted.
 */
export async function insertSession(sql: Sql | TransactionSql, s: SessionInsert): Promise<void> {
  const dayAgo = new Date(s.now.getTime() - 86_400_000);
  await sql`DELETE FROM auth_session WHERE absolute_expires_at < ${dayAgo}`;
  await sql`DELETE FROM auth_local_challenge WHERE expires_at < ${s.now}`;
  await sql`DELETE FROM auth_local_throttle WHERE last_failure_at < ${dayAgo} AND (locked_until IS NULL OR locked_until < ${s.now})`;
  await sql`
    INSERT INTO auth_session (id_hash, issuer, subject, role, practitioner, organization, created_at, last_seen, idle_expires_at, absolute_expires_at)
    VALUES (${s.idHash}, ${s.issuer}, ${s.subject}, ${s.role}, ${s.practitioner}, ${s.organization ?? DEFAULT_ORGANIZATION}, ${s.now}, ${s.now}, ${s.idleExpiresAt}, ${s.absoluteExpiresAt})`;
}

export async function getSession(sql: Sql, idHash: Buffer): Promise<SessionRow | undefined> {
  // a local session carries its account's disabled flag (one join, no second round trip): a session
  // made while the account was being disabled is refused at its next use
  const rows = await sql<{ issuer: string; subject: string; role: SessionRole; practitioner: string | null; organization: string; created_at: Date; last_seen: Date; idle_expires_at: Date; absolute_expires_at: Date; revoked_at: Date | null; account_disabled: boolean }[]>`
    SELECT s.issuer, s.subject, s.role, s.practitioner, s.organization, s.created_at, s.last_seen, s.idle_expires_at, s.absolute_expires_at, s.revoked_at,
           (s.issuer = ${LOCAL_SESSION_ISSUER} AND (a.id IS NULL OR a.disabled)) AS account_disabled
    FROM auth_session s LEFT JOIN auth_local_account a ON s.issuer = ${LOCAL_SESSION_ISSUER} AND a.username = s.subject
    WHERE s.id_hash = ${idHash}`;
  const r = rows[0];
  if (!r) return undefined;
  return {
    issuer: r.issuer, subject: r.subject, role: r.role, practitioner: r.practitioner, organization: r.organization, createdAt: r.created_at, lastSeen: r.last_seen,
    idleExpiresAt: r.idle_expires_at, absoluteExpiresAt: r.absolute_expires_at, revokedAt: r.revoked_at, accountDisabled: r.account_disabled,
  };
}

/** Slides a live session's idle expiry; only when its last_seen is older than `staleBefore` (one write a minute at most). */
export async function touchSession(sql: Sql, idHash: Buffer, now: Date, idleExpiresAt: Date, staleBefore: Date): Promise<void> {
  await sql`
    UPDATE auth_session SET last_seen = ${now}, idle_expires_at = LEAST(${idleExpiresAt}, absolute_expires_at)
    WHERE id_hash = ${idHash} AND revoked_at IS NULL AND last_seen < ${staleBefore}`;
}

/** Ends a session for every replica. False when there was no live one. */
export async function revokeSession(sql: Sql | TransactionSql, idHash: Buffer, now: Date): Promise<boolean> {
  return (await endSession(sql, idHash, now)) !== undefined;
}

/** Ends a session for every replica; whose it was, or undefined when there was no live one. */
export async function endSession(sql: Sql | TransactionSql, idHash: Buffer, now: Date): Promise<{ issuer: string; subject: string; role: SessionRole; practitioner: string | null } | undefined> {
  const rows = await sql<{ issuer: string; subject: string; role: SessionRole; practitioner: string | null }[]>`
    UPDATE auth_session SET revoked_at = ${now} WHERE id_hash = ${idHash} AND revoked_at IS NULL RETURNING issuer, subject, role, practitioner`;
  return rows[0] ? { issuer: rows[0].issuer, subject: rows[0].subject, role: rows[0].role, practitioner: rows[0].practitioner } : undefined;
}

export async function insertLogin(sql: Sql, idHash: Buffer, l: LoginRow, expiresAt: Date, now: Date): Promise<void> {
  await sql`DELETE FROM auth_login WHERE expires_at < ${now}`;
  await sql`
    INSERT INTO auth_login (id_hash, state, nonce, code_verifier, return_to, expires_at)
    VALUES (${idHash}, ${l.state}, ${l.nonce}, ${l.codeVerifier}, ${l.returnTo}, ${expiresAt})`;
}

/** Takes a sign-in under way (once: the row is deleted); undefined when unknown or expired at `now`. */
export async function takeLogin(sql: Sql, idHash: Buffer, now: Date): Promise<LoginRow | undefined> {
  const rows = await sql<{ state: string; nonce: string; code_verifier: string; return_to: string }[]>`
    DELETE FROM auth_login WHERE id_hash = ${idHash} AND expires_at > ${now} RETURNING state, nonce, code_verifier, return_to`;
  const r = rows[0];
  return r ? { state: r.state, nonce: r.nonce, codeVerifier: r.code_verifier, returnTo: r.return_to } : undefined;
}
