// Sign-in sessions and sign-ins under way (tables auth_session, auth_login; migration 013). Rows are
// keyed by the SHA-256 of the cookie value: the value itself is never stored.
import type { Sql } from './db.js';
import { DEFAULT_ORGANIZATION } from './inbox.js';

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

/** Stores a new session; sessions ended more than a day before `now` are deleted on the way. */
export async function insertSession(sql: Sql, s: SessionInsert): Promise<void> {
  await sql`DELETE FROM auth_session WHERE absolute_expires_at < ${new Date(s.now.getTime() - 86_400_000)}`;
  await sql`
    INSERT INTO auth_session (id_hash, issuer, subject, role, practitioner, organization, created_at, last_seen, idle_expires_at, absolute_expires_at)
    VALUES (${s.idHash}, ${s.issuer}, ${s.subject}, ${s.role}, ${s.practitioner}, ${s.organization ?? DEFAULT_ORGANIZATION}, ${s.now}, ${s.now}, ${s.idleExpiresAt}, ${s.absoluteExpiresAt})`;
}

export async function getSession(sql: Sql, idHash: Buffer): Promise<SessionRow | undefined> {
  const rows = await sql<{ issuer: string; subject: string; role: SessionRole; practitioner: string | null; organization: string; created_at: Date; last_seen: Date; idle_expires_at: Date; absolute_expires_at: Date; revoked_at: Date | null }[]>`
    SELECT issuer, subject, role, practitioner, organization, created_at, last_seen, idle_expires_at, absolute_expires_at, revoked_at
    FROM auth_session WHERE id_hash = ${idHash}`;
  const r = rows[0];
  if (!r) return undefined;
  return {
    issuer: r.issuer, subject: r.subject, role: r.role, practitioner: r.practitioner, organization: r.organization, createdAt: r.created_at, lastSeen: r.last_seen,
    idleExpiresAt: r.idle_expires_at, absoluteExpiresAt: r.absolute_expires_at, revokedAt: r.revoked_at,
  };
}

/** Slides a live session's idle expiry; only when its last_seen is older than `staleBefore` (one write a minute at most). */
export async function touchSession(sql: Sql, idHash: Buffer, now: Date, idleExpiresAt: Date, staleBefore: Date): Promise<void> {
  await sql`
    UPDATE auth_session SET last_seen = ${now}, idle_expires_at = LEAST(${idleExpiresAt}, absolute_expires_at)
    WHERE id_hash = ${idHash} AND revoked_at IS NULL AND last_seen < ${staleBefore}`;
}

/** Ends a session for every replica. False when there was no live one. */
export async function revokeSession(sql: Sql, idHash: Buffer, now: Date): Promise<boolean> {
  const rows = await sql`UPDATE auth_session SET revoked_at = ${now} WHERE id_hash = ${idHash} AND revoked_at IS NULL RETURNING 1`;
  return rows.length === 1;
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
