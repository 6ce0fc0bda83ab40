// Local accounts: the built-in sign-in of the embedded default (no identity provider needed). A
// successful sign-in is a Person like an OpenID Connect one (issuer 'switchboard-local', subject the
// username), so it gets the same session, cookie, CSRF token and expiry. Every refusal looks the same
// from outside: unknown username, wrong password, wrong, missing or replayed code, disabled account
// all answer ERR_LOCAL_SIGN_IN_FAILED after one argon2id verification (a dummy hash stands in for an
// unknown user); the reason goes to the log as a code only.
import {
  clearThrottle, deletePasskey, deletePasskeys, getLocalAccount, insertLocalAccount, listLocalAccounts, listPasskeyViews, revokeSessionsOf,
  LOCAL_SESSION_ISSUER, confirmPendingTotp, type PasskeyView, type TransactionSql, setLocalDisabled, setLocalPassword, setLocalTotp, setPendingTotp, takeTotpStep, type LocalAccountRow, type LocalAccountView, type SessionRole, type Sql,
} from '../store/index.js';
import type { Logger } from '../obs/index.js';
import { LocalAuthError, SIGN_IN_FAILED } from './local-errors.js';
import { dummyHash, generatePassword, hashPassword, needsRehash, passwordProblem, verifyPassword } from './password.js';
import { seal, unseal } from './secret-box.js';
import { SignInGuard, throttleKeys, USERNAME, type ThrottleKeys } from './sign-in-guard.js';
import { matchTotp, newTotpSecret, totpUri } from './totp.js';
import {
  AUTH_AUDIT, auditAlone, credentialEvent, refusedEvent, sessionActor, sessionsRevokedEvent, startAudited, typedNameHash, withAudit,
  type AuditSink, type AuthAuditEvent, type SignInMethod,
} from './sign-in-audit.js';
import { practitionerFrom, ROLES, type Person } from './session-roles.js';
import { ORGANIZATION_ID } from './policy.js';

/** The issuer of local accounts' sessions (auth_session.issuer; a principal's is `session:switchboard-local`). */
export const LOCAL_ACCOUNT_ISSUER = LOCAL_SESSION_ISSUER;


/** Usernames compare case-insensitively: NFKC, trimmed, lower case. */
export const normaliseUsername = (s: string): string => s.normalize('NFKC').trim().toLowerCase();

export interface LocalAccountsOptions {
  sql: Sql;
  /** seals TOTP secrets (secret-box.ts) */
  secretKey: Buffer;
  /** LOCAL_AUTH_REQUIRE_TOTP: an account without a second factor cannot sign in */
  requireTotp?: boolean;
  /** the name authenticator apps show beside the account */
  totpIssuer?: string;
  now?: () => Date;
  log?: Logger;
  /** where sign-ins, refusals and credential changes are recorded (src/audit's appendAudit); unset: nowhere */
  audit?: AuditSink;
}

/** Who made a change, for the audit trail: the signed-in person (HTTP) or the operator's shell (the CLI). */
export interface ChangedBy { actor: string; actorKind: AuthAuditEvent['actorKind'] }
export const BY_CLI: ChangedBy = { actor: 'cli', actorKind: 'cli' };
const self = (username: string): ChangedBy => ({ actor: sessionActor(LOCAL_ACCOUNT_ISSUER, username), actorKind: 'user' });

export interface NewAccount {
  username: string;
  role: SessionRole;
  practitioner?: string | undefined;
  organization?: string | undefined;
  /** unset: one is generated and returned (shown once) */
  password?: string | undefined;
}

export interface SignInAttempt {
  username: string;
  password: string;
  totp?: string | undefined;
  /** the client's address (TRUST_PROXY applied), for the per-address throttle; null when unknown */
  address: string | null;
}

export type Refusal = 'unknown_user' | 'bad_password' | 'disabled' | 'totp_missing' | 'totp_wrong' | 'totp_replayed' | 'totp_not_enrolled' | 'totp_unreadable';

export class LocalAccounts {
  private readonly now: () => Date;
  private readonly sql: Sql;
  /** the lockouts, shared with passkeys.ts */
  readonly guard: SignInGuard;
  constructor(private readonly o: LocalAccountsOptions) {
    this.now = o.now ?? (() => new Date());
    this.sql = o.sql;
    this.guard = new SignInGuard(o.sql, o.log);
    // made now, so that the first unknown username does not pay for two hashes
    void dummyHash();
  }

  get requireTotp(): boolean { return this.o.requireTotp ?? false; }

  /** the audit sink (passkeys.ts records with it too) */
  get audit(): AuditSink | undefined { return this.o.audit; }

  async add(a: NewAccount): Promise<{ generatedPassword?: string }> {
    const username = checkUsername(a.username);
    if (!ROLES.includes(a.role)) throw new LocalAuthError('ERR_LOCAL_ACCOUNT_INVALID', `role must be one of ${ROLES.join(', ')}`);
    let practitioner: string | null = null;
    if (a.practitioner !== undefined) {
      practitioner = practitionerFrom(a.practitioner) ?? null;
      if (practitioner === null) throw new LocalAuthError('ERR_LOCAL_ACCOUNT_INVALID', 'practitioner must be a FHIR id (or Practitioner/ID)');
    }
    if (a.role === 'provider' && practitioner === null) throw new LocalAuthError('ERR_LOCAL_ACCOUNT_INVALID', 'a provider needs a practitioner id (--practitioner)');
    const organization = a.organization?.trim() || null;
    if (organization !== null && !ORGANIZATION_ID.test(organization)) throw new LocalAuthError('ERR_LOCAL_ACCOUNT_INVALID', 'organization is an organisation id: 1-200 of letters, digits and . _ : - (starting with a letter or digit)');
    const password = a.password ?? generatePassword();
    if (a.password !== undefined) checkPassword(password, username);
    const added = await insertLocalAccount(this.sql, { username, role: a.role, practitioner, organization, passwordHash: await hashPassword(password), now: this.now() });
    if (!added) throw new LocalAuthError('ERR_LOCAL_ACCOUNT_EXISTS', 'that username is taken');
    this.o.log?.info('local_account_added', { code: a.role });
    return a.password === undefined ? { generatedPassword: password } : {};
  }

  list(): Promise<LocalAccountView[]> {
    return listLocalAccounts(this.sql);
  }

  /** Disables an account and signs out all its sessions at once; returns how many were live. */
  async disable(username: string, by: ChangedBy = BY_CLI): Promise<number> {
    const name = checkUsername(username);
    const now = this.now();
    const ended = await withAudit(this.sql, this.o.audit, (tx) => setLocalDisabled(tx, name, true, LOCAL_ACCOUNT_ISSUER, now),
      (n) => n === undefined ? [] : [sessionsRevokedEvent(now, by.actor, by.actorKind, name, 'disabled', n)]);
    if (ended === undefined) throw unknownAccount();
    this.o.log?.info('local_account_disabled', { count: ended });
    return ended;
  }

  async enable(username: string): Promise<void> {
    const name = checkUsername(username);
    if (await this.sql.begin((tx) => setLocalDisabled(tx, name, false, LOCAL_ACCOUNT_ISSUER, this.now())) === undefined) throw unknownAccount();
  }

  /** A new password (generated and returned when none is given); every session of the account ends. */
  async resetPassword(username: string, password?: string, by: ChangedBy = BY_CLI): Promise<{ generatedPassword?: string; sessionsEnded: number }> {
    const name = checkUsername(username);
    const next = password ?? generatePassword();
    if (password !== undefined) checkPassword(next, name);
    const now = this.now();
    const hashed = await hashPassword(next);
    const sessionsEnded = await withAudit(this.sql, this.o.audit, async (tx) => {
      if (!await setLocalPassword(tx, name, hashed, now)) return undefined;
      return revokeSessionsOf(tx, LOCAL_ACCOUNT_ISSUER, name, now);
    }, (n) => n === undefined ? [] : [sessionsRevokedEvent(now, by.actor, by.actorKind, name, 'password-reset', n)]);
    if (sessionsEnded === undefined) throw unknownAccount();
    await clearThrottle(this.sql, throttleKeys(name, null).user);
    return { ...(password === undefined ? { generatedPassword: next } : {}), sessionsEnded };
  }

  /** Enrols (or replaces) the account's TOTP secret; returns the otpauth:// URI, to be shown once. */
  async enrollTotp(username: string, by: ChangedBy = BY_CLI): Promise<string> {
    const name = checkUsername(username);
    const secret = newTotpSecret();
    const now = this.now();
    const sealed = seal(this.o.secretKey, secret, totpOwner(name));
    if (!await withAudit(this.sql, this.o.audit, (tx) => setLocalTotp(tx, name, sealed, now),
      (ok) => ok ? [credentialEvent(now, by.actor, by.actorKind, AUTH_AUDIT.totpEnrolled, name, [], 'admin', null, 'U')] : [])) throw unknownAccount();
    return totpUri(this.o.totpIssuer ?? 'Switchboard', name, secret);
  }

  /**
   * The signed-in person's own enrolment, step one: the current password is checked (and throttled)
   * like a sign-in, then a new secret waits for a code made from it; the account's second factor does
   * not change until confirmTotp. Returns the otpauth:// URI (shown once).
   */
  async startTotp(username: string, currentPassword: string, address: string | null): Promise<string> {
    const now = this.now();
    const keys = throttleKeys(username, address);
    return this.guard.oneAtATime(keys, async () => {
      await this.checkCurrentPassword(username, currentPassword, keys, now, address);
      await clearThrottle(this.sql, keys.user);
      const secret = newTotpSecret();
      await setPendingTotp(this.sql, username, seal(this.o.secretKey, secret, totpOwner(username)), now);
      return totpUri(this.o.totpIssuer ?? 'Switchboard', username, secret);
    });
  }

  /** Step two: a code from the pending secret makes it the account's (that code's step counts as used). */
  async confirmTotp(username: string, code: string, address: string | null = null): Promise<void> {
    const now = this.now();
    const account = await this.accountOf(username);
    const secret = account.totpPending ? unseal(this.o.secretKey, account.totpPending, totpOwner(username)) : undefined;
    if (!secret) throw new LocalAuthError('ERR_LOCAL_TOTP_CONFIRM', 'no TOTP enrolment under way (POST /auth/local/totp/enroll)');
    const step = matchTotp(secret, code, now, null);
    if (step === undefined) throw new LocalAuthError('ERR_LOCAL_TOTP_CONFIRM', 'the code does not match the new secret (check the device\'s clock)');
    const confirmed = await withAudit(this.sql, this.o.audit, (tx) => confirmPendingTotp(tx, account.id, step, now),
      (ok) => ok ? [credentialEvent(now, self(username).actor, 'user', AUTH_AUDIT.totpEnrolled, username, [], account.totpSecret ? 'replaced' : 'enrolled', address, 'U')] : []);
    if (!confirmed) throw new LocalAuthError('ERR_LOCAL_TOTP_CONFIRM', 'no TOTP enrolment under way (POST /auth/local/totp/enroll)');
    this.o.log?.info('local_totp_enrolled', { code: account.role });
  }

  /** Removes the account's TOTP secret (a lost authenticator); with LOCAL_AUTH_REQUIRE_TOTP it cannot sign in by password until enrolled again. */
  async removeTotp(username: string, by: ChangedBy = BY_CLI): Promise<void> {
    const name = checkUsername(username);
    const now = this.now();
    if (!await withAudit(this.sql, this.o.audit, (tx) => setLocalTotp(tx, name, null, now),
      (ok) => ok ? [credentialEvent(now, by.actor, by.actorKind, AUTH_AUDIT.totpRemoved, name, [], 'removed', null, 'D')] : [])) throw unknownAccount();
  }

  /** Removes every passkey of the account (a lost device); returns how many there were. */
  async removePasskeys(username: string, by: ChangedBy = BY_CLI): Promise<number> {
    const name = checkUsername(username);
    const now = this.now();
    const n = await withAudit(this.sql, this.o.audit, (tx) => deletePasskeys(tx, name),
      (count) => count === undefined ? [] : [credentialEvent(now, by.actor, by.actorKind, AUTH_AUDIT.passkeyRemoved, name, [`count:${count}`], 'all', null, 'D')]);
    if (n === undefined) throw unknownAccount();
    return n;
  }

  /** The signed-in person's passkeys (ids, transports, when made and last used). */
  async passkeysOf(username: string): Promise<PasskeyView[]> {
    return listPasskeyViews(this.sql, (await this.accountOf(username)).id);
  }

  /** The signed-in person removes one of their passkeys; false when they have none by that id. */
  async removeOwnPasskey(username: string, credentialId: string, address: string | null): Promise<boolean> {
    const account = await this.accountOf(username);
    const now = this.now();
    return withAudit(this.sql, this.o.audit, (tx) => deletePasskey(tx, account.id, credentialId),
      (ok) => ok ? [credentialEvent(now, self(username).actor, 'user', AUTH_AUDIT.passkeyRemoved, username, [`passkey:${credentialId}`], 'self', address, 'D')] : []);
  }

  /**
   * A session made for a person who just signed in (`create` in the transaction), the end of the
   * session the browser had (cookie value `previous`), and their audit events: all commit or none.
   */
  recordSignIn<T>(person: Person, method: SignInMethod, address: string | null, create: (tx: TransactionSql) => Promise<T>, previous?: string): Promise<T> {
    return startAudited(this.sql, this.o.audit, { person, method, address, previous, now: this.now() }, create);
  }

  /** A refused sign-in's event, on its own (no state change to join); the caller answers the refusal at once after. */
  recordRefusal(actor: string, method: SignInMethod, code: string, address: string | null, now: Date): Promise<void> {
    return auditAlone(this.sql, this.o.audit, [refusedEvent(now, actor, method, code, address)], this.o.log);
  }

  /** How an attempt's typed username appears in the audit trail: the account's session actor, or a keyed hash. */
  actorOf(typed: string, account: LocalAccountRow | undefined): string {
    return account ? sessionActor(LOCAL_ACCOUNT_ISSUER, account.username) : typedNameHash(this.o.secretKey, typed);
  }

  /** The person a correct username, password and (when enrolled) code sign in as; else a uniform refusal. */
  async signIn(t: SignInAttempt): Promise<Person> {
    const now = this.now();
    const name = normaliseUsername(t.username);
    const keys = throttleKeys(name, t.address);
    let started = false;
    try {
      return await this.guard.oneAtATime(keys, () => { started = true; return this.checkSignIn(t, name, keys, now); });
    } catch (e) {
      // a check already under way for this username or address: refused before anything was read
      if (!started && e instanceof LocalAuthError) await this.recordRefusal(this.actorOf(name, undefined), 'password', 'busy', t.address, now);
      throw e;
    }
  }

  private async checkSignIn(t: SignInAttempt, name: string, keys: ThrottleKeys & { user: string }, now: Date): Promise<Person> {
    const account = USERNAME.test(name) ? await getLocalAccount(this.sql, name) : undefined;
    const actor = this.actorOf(name, account);
    try {
      await this.guard.refuseWhileLocked(keys, now);
    } catch (e) {
      await this.recordRefusal(actor, 'password', 'locked', t.address, now);
      throw e;
    }
    // one argon2id verification on every path: an unknown name costs what a known one does
    const passwordOk = await verifyPassword(account?.passwordHash ?? await dummyHash(), t.password);
    if (!account) return this.refuse(keys, now, 'unknown_user', actor, t.address);
    const refusal = !passwordOk ? 'bad_password' : account.disabled ? 'disabled' : await this.secondFactor(account, t.totp, now);
    if (refusal !== undefined) return this.refuse(keys, now, refusal, actor, t.address);
    await clearThrottle(this.sql, keys.user);
    // a hash made with older parameters is replaced while the password is at hand
    if (needsRehash(account.passwordHash)) await setLocalPassword(this.sql, account.username, await hashPassword(t.password), now);
    this.o.log?.info('local_signed_in', { code: account.role });
    return personOf(account);
  }

  /**
   * The signed-in person's own password change: the current password is checked (and throttled) like
   * a sign-in; every other session of theirs ends. `keepIdHash` is the session making the change.
   */
  async changePassword(username: string, current: string, next: string, address: string | null, keepIdHash: Buffer): Promise<number> {
    const now = this.now();
    const keys = throttleKeys(username, address);
    return this.guard.oneAtATime(keys, async () => {
      await this.checkCurrentPassword(username, current, keys, now, address);
      checkPassword(next, username);
      const hashed = await hashPassword(next);
      const by = self(username);
      const ended = await withAudit(this.sql, this.o.audit, async (tx) => {
        await setLocalPassword(tx, username, hashed, now);
        return revokeSessionsOf(tx, LOCAL_ACCOUNT_ISSUER, username, now, keepIdHash);
      }, (n) => [
        credentialEvent(now, by.actor, by.actorKind, AUTH_AUDIT.passwordChanged, username, [], 'self', address, 'U'),
        sessionsRevokedEvent(now, by.actor, by.actorKind, username, 'password-changed', n),
      ]);
      await clearThrottle(this.sql, keys.user);
      return ended;
    });
  }

  /** A signed-in person's current password, checked and throttled as a sign-in's; a wrong one counts as a failure. */
  private async checkCurrentPassword(username: string, current: string, keys: ThrottleKeys & { user: string }, now: Date, address: string | null): Promise<void> {
    const actor = sessionActor(LOCAL_ACCOUNT_ISSUER, username);
    try {
      await this.guard.refuseWhileLocked(keys, now);
    } catch (e) {
      await this.recordRefusal(actor, 'password', 'reauth_locked', address, now);
      throw e;
    }
    const account = await getLocalAccount(this.sql, username);
    const ok = await verifyPassword(account?.passwordHash ?? await dummyHash(), current);
    if (!account || !ok || account.disabled) {
      const reason = !account ? 'unknown_user' : !ok ? 'bad_password' : 'disabled';
      await Promise.all([this.guard.fail(keys, now, reason), this.recordRefusal(actor, 'password', `reauth_${reason}`, address, now)]);
      throw new LocalAuthError('ERR_LOCAL_SIGN_IN_FAILED', 'the current password is wrong');
    }
  }


  /** The account behind a live local session, or a refusal (disabled since, or deleted). */
  async accountOf(username: string): Promise<LocalAccountRow> {
    const account = await getLocalAccount(this.sql, username);
    if (!account || account.disabled) throw new LocalAuthError('ERR_LOCAL_SIGN_IN_FAILED', 'the account is disabled');
    return account;
  }

  /** The one refusal every failed sign-in gets, after its failure is counted. */
  private async refuse(keys: ThrottleKeys, now: Date, reason: Refusal, actor: string, address: string | null): Promise<never> {
    // the count and the audit event are written side by side: the refusal waits for the slower, not both
    await Promise.all([this.guard.fail(keys, now, reason), this.recordRefusal(actor, 'password', reason, address, now)]);
    throw new LocalAuthError('ERR_LOCAL_SIGN_IN_FAILED', SIGN_IN_FAILED);
  }

  private async secondFactor(account: LocalAccountRow, code: string | undefined, now: Date): Promise<Refusal | undefined> {
    if (!account.totpSecret) return this.requireTotp ? 'totp_not_enrolled' : undefined;
    if (code === undefined || code === '') return 'totp_missing';
    const secret = unseal(this.o.secretKey, account.totpSecret, totpOwner(account.username));
    if (!secret) return 'totp_unreadable';
    const step = matchTotp(secret, code, now, account.totpLastStep);
    if (step === undefined) return account.totpLastStep !== null && matchTotp(secret, code, now, null) !== undefined ? 'totp_replayed' : 'totp_wrong';
    // recorded before it is trusted: of two requests racing with one code, one wins
    return await takeTotpStep(this.sql, account.id, step) ? undefined : 'totp_replayed';
  }
}

const totpOwner = (username: string) => `totp:${username}`;
const unknownAccount = () => new LocalAuthError('ERR_LOCAL_ACCOUNT_UNKNOWN', 'no such account');

export function personOf(a: LocalAccountRow): Person {
  // the account's organisation limits what an operator or supervisor sees (src/auth/policy.ts)
  return { issuer: LOCAL_ACCOUNT_ISSUER, subject: a.username, role: a.role, practitioner: a.practitioner, ...(a.organization !== null ? { organization: a.organization } : {}) };
}

function checkUsername(raw: string): string {
  const name = normaliseUsername(raw);
  if (!USERNAME.test(name)) throw new LocalAuthError('ERR_LOCAL_ACCOUNT_INVALID', 'a username is 1-64 of a-z 0-9 . _ @ - (starting with a letter or digit)');
  return name;
}

function checkPassword(password: string, username: string): void {
  const problem = passwordProblem(password, username);
  if (problem) throw new LocalAuthError('ERR_LOCAL_PASSWORD_POLICY', problem);
}
