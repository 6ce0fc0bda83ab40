// Sessions in PostgreSQL, so that every replica sees a sign-in and a sign-out at once. The cookie holds
// 256 random bits; the database holds their SHA-256 only. A session ends SESSION_IDLE_MINUTES after
// its last use (last_seen slides, written at most once a minute) and SESSION_MAX_HOURS after sign-in
// whatever its use. Its CSRF token is an HMAC of the cookie value: bound to the session, stored nowhere.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { getSession, insertSession, revokeSession, touchSession, type SessionRow, type Sql, type TransactionSql } from '../store/index.js';
import type { Principal } from './token.js';
import { SessionError } from './session-errors.js';
import { ROLE_SCOPES, type Person } from './session-roles.js';

/** last_seen is written at most this often per session. */
export const TOUCH_EVERY_MS = 60_000;

export const hashId = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();
export const randomToken = (): string => randomBytes(32).toString('base64url');

/** What a cookie value can look like (base64url of 32 bytes); anything else is not looked up. */
const TOKEN = /^[A-Za-z0-9_-]{43}$/;

export interface SessionOptions {
  sql: Sql;
  idleMs: number;
  maxMs: number;
  now?: () => Date;
}

export interface LiveSession extends SessionRow {
  csrfToken: string;
}

export class SessionManager {
  private readonly now: () => Date;
  constructor(private readonly o: SessionOptions) {
    this.now = o.now ?? (() => new Date());
  }

  get maxMs(): number { return this.o.maxMs; }

  /** A new session for a person (in `tx` when given); returns the cookie value (shown once, never stored). */
  async create(p: Person, tx?: TransactionSql): Promise<{ token: string; absoluteExpiresAt: Date }> {
    const token = randomToken();
    const now = this.now();
    const absoluteExpiresAt = new Date(now.getTime() + this.o.maxMs);
    const idleExpiresAt = new Date(Math.min(now.getTime() + this.o.idleMs, absoluteExpiresAt.getTime()));
    await insertSession(tx ?? this.o.sql, { idHash: hashId(token), issuer: p.issuer, subject: p.subject, role: p.role, practitioner: p.practitioner, organization: p.organization, now, idleExpiresAt, absoluteExpiresAt });
    return { token, absoluteExpiresAt };
  }

  /** The live session a cookie value names (its idle expiry slid), or a 401 with the reason. */
  async resolve(token: string): Promise<LiveSession> {
    if (!TOKEN.test(token)) throw new SessionError('ERR_SESSION_INVALID', 'session cookie is not valid');
    const id = hashId(token);
    const row = await getSession(this.o.sql, id);
    if (!row) throw new SessionError('ERR_SESSION_INVALID', 'session cookie is not valid');
    if (row.revokedAt || row.accountDisabled) throw new SessionError('ERR_SESSION_REVOKED', 'session was signed out');
    const now = this.now();
    if (now >= row.absoluteExpiresAt) throw new SessionError('ERR_SESSION_EXPIRED', 'session reached its maximum lifetime; sign in again');
    if (now >= row.idleExpiresAt) throw new SessionError('ERR_SESSION_EXPIRED', 'session was idle too long; sign in again');
    if (now.getTime() - row.lastSeen.getTime() >= TOUCH_EVERY_MS) {
      const idle = new Date(Math.min(now.getTime() + this.o.idleMs, row.absoluteExpiresAt.getTime()));
      await touchSession(this.o.sql, id, now, idle, new Date(now.getTime() - TOUCH_EVERY_MS + 1));
      row.lastSeen = now;
      row.idleExpiresAt = idle;
    }
    return { ...row, csrfToken: csrfToken(token) };
  }

  /** Signs a session out everywhere; false when it was not live. */
  revoke(token: string): Promise<boolean> {
    if (!TOKEN.test(token)) return Promise.resolve(false);
    return revokeSession(this.o.sql, hashId(token), this.now());
  }

  /**
   * The gate's path: the principal a session acts as. A state-changing request (anything but GET and
   * HEAD) must carry the session's CSRF token in X-CSRF-Token.
   */
  async principal(token: string, req: { method: string; csrf: string | undefined }): Promise<Principal> {
    const s = await this.resolve(token);
    if (req.method !== 'GET' && req.method !== 'HEAD') checkCsrf(token, req.csrf);
    return principalOf(s);
  }
}

/** The CSRF token of a session: HMAC-SHA256 keyed by the cookie value, so only its holder can know it. */
export function csrfToken(token: string): string {
  return createHmac('sha256', token).update('switchboard-csrf-v1').digest('base64url');
}

export function checkCsrf(token: string, header: string | undefined): void {
  const want = Buffer.from(csrfToken(token));
  const got = Buffer.from(header ?? '');
  if (got.length !== want.length || !timingSafeEqual(got, want)) {
    throw new SessionError('ERR_SESSION_CSRF', 'a request signed in by cookie must send the session\'s X-CSRF-Token (GET /auth/session)');
  }
}

/**
 * A provider session is its practitioner with the `provider` scope (as `switchboard token --practitioner`);
 * other roles their table's scopes. Every session carries its role and organisation (src/auth/policy.ts).
 */
export function principalOf(s: SessionRow): Principal {
  const subject = s.role === 'provider' ? s.practitioner ?? '' : s.subject;
  return { subject, issuer: `session:${s.issuer}`, scopes: [...ROLE_SCOPES[s.role]], role: s.role, organization: s.organization };
}
