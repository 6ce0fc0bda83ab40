// The audit events of signing in (README "Audit trail" > sign-in events; HIPAA 164.312(b), OWASP ASVS
// V7): sign-ins, refusals, sign-outs, sessions ended by a change of the account, second factors and
// passkeys added or removed. Built here, pure; written by the sink the caller wires in (src/audit's
// appendAudit: this folder sits beside src/audit and does not import it). An event holds ids and
// codes only: never a password, a code, a secret, a cookie, or a username typed for no account (a
// mistyped username can be a password): that one is recorded as a keyed hash.
import { createHmac } from 'node:crypto';
import type { Logger } from '../obs/index.js';
import { endSession, type Sql, type TransactionSql } from '../store/index.js';
import { hashId } from './sessions.js';
import type { Person } from './session-roles.js';

/** An audit event as src/audit's appendAudit takes it (AuditEventInput). */
export interface AuthAuditEvent {
  at: Date;
  actor: string;
  actorKind: 'user' | 'cli' | 'system';
  action: 'C' | 'U' | 'D' | 'E';
  type: string;
  entityType: string;
  entityIds: string[];
  patient: null;
  outcome: 'success' | 'failure';
  outcomeCode: string | null;
  source: string | null;
  requestId: null;
}

/** Records events in the caller's transaction (src/audit's appendAudit). */
export type AuditSink = (tx: TransactionSql, events: readonly AuthAuditEvent[]) => Promise<void>;

/** The event types (stable: README "Audit trail"). */
export const AUTH_AUDIT = {
  signedIn: 'auth.signed-in',
  refused: 'auth.sign-in-refused',
  signedOut: 'auth.signed-out',
  sessionsRevoked: 'auth.sessions-revoked',
  passwordChanged: 'auth.password-changed',
  totpEnrolled: 'auth.totp-enrolled',
  totpRemoved: 'auth.totp-removed',
  passkeyRegistered: 'auth.passkey-registered',
  passkeyRemoved: 'auth.passkey-removed',
} as const;

export type SignInMethod = 'oidc' | 'password' | 'passkey';

/** Who a session acts as in the audit trail: its issuer and subject (as the HTTP trail names a session's principal). */
export const sessionActor = (issuer: string, subject: string): string => `session:${issuer}|${subject}`;

/**
 * A typed username that names no account: `#` and 16 hex digits of HMAC-SHA256 under the local
 * sign-in key, so repeated attempts at one name can be told apart and counted, but the name (maybe a
 * password typed in the wrong field) cannot be read back or guessed without the key.
 */
export function typedNameHash(key: Buffer, typed: string): string {
  return `#${createHmac('sha256', key).update(`sb-audit-username:${typed}`).digest('hex').slice(0, 16)}`;
}

const base = (at: Date, actor: string, type: string, entityType: string, entityIds: string[], outcome: 'success' | 'failure', outcomeCode: string | null, source: string | null, action: AuthAuditEvent['action'] = 'E', actorKind: AuthAuditEvent['actorKind'] = 'user'): AuthAuditEvent => ({
  at, actor, actorKind, action, type, entityType, entityIds, patient: null, outcome, outcomeCode, source, requestId: null,
});

const personIds = (p: Pick<Person, 'issuer' | 'role' | 'practitioner' | 'organization'>): string[] =>
  [`issuer:${p.issuer}`, `role:${p.role}`, ...(p.practitioner ? [`Practitioner/${p.practitioner}`] : []), ...(p.organization ? [`organization:${p.organization}`] : [])];

/** A session was made: the method (outcomeCode), the role, a provider's practitioner, the organisation when one was named, and the person. */
export const signedInEvent = (at: Date, p: Person, method: SignInMethod, address: string | null): AuthAuditEvent =>
  base(at, sessionActor(p.issuer, p.subject), AUTH_AUDIT.signedIn, 'session', personIds(p), 'success', method, address, 'C');

/**
 * A refused sign-in: the method and the refusal's code only. `actor` is the account's session actor
 * when the attempt named an account, else a typedNameHash or 'unknown'.
 */
export const refusedEvent = (at: Date, actor: string, method: SignInMethod, code: string, address: string | null): AuthAuditEvent =>
  base(at, actor, AUTH_AUDIT.refused, 'session', [`method:${method}`], 'failure', code, address);

/** A session ended by its person: `logout` (POST /auth/logout), or `replaced` (the browser signed in again). */
export const signedOutEvent = (at: Date, p: Pick<Person, 'issuer' | 'subject' | 'role' | 'practitioner'>, address: string | null, code: 'logout' | 'replaced' = 'logout'): AuthAuditEvent =>
  base(at, sessionActor(p.issuer, p.subject), AUTH_AUDIT.signedOut, 'session', personIds(p), 'success', code, address, 'D');

/**
 * A sign-in's session, made by `create` in one transaction with the end of the session the browser
 * had (its cookie value `previous`, if any) and their events: `auth.signed-out` (replaced) and
 * `auth.signed-in`.
 */
export async function startAudited<T>(sql: Sql, sink: AuditSink | undefined, o: { person: Person; method: SignInMethod; address: string | null; previous: string | undefined; now: Date }, create: (tx: TransactionSql) => Promise<T>): Promise<T> {
  const out = await withAudit(sql, sink, async (tx) => {
    const ended = o.previous !== undefined ? await endSession(tx, hashId(o.previous), o.now) : undefined;
    return { made: await create(tx), ended };
  }, ({ ended }) => [...(ended ? [signedOutEvent(o.now, ended, o.address, 'replaced')] : []), signedInEvent(o.now, o.person, o.method, o.address)]);
  return out.made;
}

/** Sessions of an account ended by a change to it (`reason`: password-changed, password-reset, disabled). */
export const sessionsRevokedEvent = (at: Date, actor: string, actorKind: AuthAuditEvent['actorKind'], username: string, reason: string, count: number): AuthAuditEvent =>
  base(at, actor, AUTH_AUDIT.sessionsRevoked, 'local-account', [username, `sessions:${count}`], 'success', reason, null, 'D', actorKind);

/** A change to an account's credentials: password changed, TOTP enrolled or removed, passkey registered or removed. */
export const credentialEvent = (at: Date, actor: string, actorKind: AuthAuditEvent['actorKind'], type: string, username: string, ids: string[], code: string, address: string | null, action: AuthAuditEvent['action']): AuthAuditEvent =>
  base(at, actor, type, 'local-account', [username, ...ids], 'success', code, address, action, actorKind);

/** Work and its audit events in one transaction: both commit or neither. Without a sink, just the work. */
export function withAudit<T>(sql: Sql, sink: AuditSink | undefined, work: (tx: TransactionSql) => Promise<T>, events: (r: T) => AuthAuditEvent[]): Promise<T> {
  return sql.begin(async (tx) => {
    const r = await work(tx);
    const list = events(r);
    if (sink && list.length > 0) await sink(tx, list);
    return r;
  }) as Promise<T>;
}

/**
 * Events with no state change to join (a refusal): appended in a transaction of their own. A failure to
 * append is logged (code only) and does not change the answer, which is a refusal already.
 */
export async function auditAlone(sql: Sql, sink: AuditSink | undefined, events: AuthAuditEvent[], log?: Logger): Promise<void> {
  if (!sink || events.length === 0) return;
  try {
    await sql.begin((tx) => sink(tx, events));
  } catch (e) {
    log?.error('auth_audit_failed', { errorCode: (e as { code?: string }).code });
  }
}
