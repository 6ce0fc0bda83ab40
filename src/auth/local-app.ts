// The local sign-in routes (the embedded default's way in without an identity provider):
//   POST /auth/local/login                      username, password, code -> the session cookie
//   POST /auth/local/password                   the signed-in person's own password change
//   POST /auth/local/totp/enroll  |  /totp/confirm   (signed in: add or replace the TOTP second factor)
//   POST /auth/local/passkeys/register/options  |  /register/verify   (signed in: add a passkey)
//   POST /auth/local/passkeys/login/options     |  /login/verify      (a passkey -> the session cookie)
//   GET /auth/local/passkeys  |  DELETE /auth/local/passkeys/:credentialId   (signed in: one's own passkeys)
// Every sign-in, refusal and credential change is recorded in the audit trail (sign-in-audit.ts).
// The route table lists them as public (a provider's session reaches only /me through the gate): the
// routes that need a session read the cookie and check its CSRF token here, as /auth/logout does.
// Every body is JSON (the gate refuses another content type with 415), so a cross-site HTML form
// cannot post to them (no login CSRF); CORS is never granted.
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { getCookie, setCookie } from 'hono/cookie';
import type { Logger } from '../obs/index.js';
import { badRequest } from '../outcome/index.js';
import { LocalAuthError } from './local-errors.js';
import { LOCAL_ACCOUNT_ISSUER, type LocalAccounts } from './local-accounts.js';
import type { Passkeys } from './passkeys.js';
import { PASSWORD_MAX_CHARS } from './password.js';
import { sessionCookie } from './session-app.js';
import { SessionError } from './session-errors.js';
import { checkCsrf, hashId, type LiveSession, type SessionManager } from './sessions.js';
import type { Person } from './session-roles.js';
import type { SignInMethod } from './sign-in-audit.js';

export interface LocalSignInDeps {
  accounts: LocalAccounts;
  sessions: SessionManager;
  /** passkeys (WebAuthn); unset: their routes answer 404 */
  passkeys?: Passkeys;
  secure: boolean;
  cookieName: string;
  /** the client's address for the per-address throttle (TRUST_PROXY applied); null when unknown */
  addressOf: (c: Context) => string | null;
  log?: Logger;
}

const loginBody = z.object({
  username: z.string().min(1).max(256),
  password: z.string().min(1).max(PASSWORD_MAX_CHARS * 4),
  totp: z.string().max(16).optional(),
}).strict();
const passwordBody = z.object({
  currentPassword: z.string().min(1).max(PASSWORD_MAX_CHARS * 4),
  newPassword: z.string().min(1).max(PASSWORD_MAX_CHARS * 4),
}).strict();
const totpEnrolBody = z.object({ currentPassword: z.string().min(1).max(PASSWORD_MAX_CHARS * 4) }).strict();
const totpConfirmBody = z.object({ totp: z.string().max(16) }).strict();
/** A WebAuthn response (RegistrationResponseJSON / AuthenticationResponseJSON); the library checks its fields. */
const credentialBody = z.object({ response: z.object({ id: z.string().max(2048), rawId: z.string().max(2048), type: z.literal('public-key'), response: z.record(z.string(), z.unknown()) }).passthrough() }).strict();

async function body<T>(c: Context, schema: z.ZodType<T>): Promise<T> {
  let raw: unknown;
  try { raw = await c.req.json(); } catch { throw badRequest('body must be JSON', { code: 'ERR_JSON_INVALID' }); }
  const parsed = schema.safeParse(raw);
  // the paths of bad fields are named, never their values (a password)
  if (!parsed.success) throw badRequest('body does not match the schema', { code: 'ERR_BODY_INVALID', details: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.code })) });
  return parsed.data;
}

export function createLocalSignInApp(d: LocalSignInDeps): Hono {
  const app = new Hono();

  /** A fresh session for `person`; the browser's previous one (if any) ends. */
  const startSession = async (c: Context, person: Person, method: SignInMethod) => {
    // the browser's previous session ends, and the new one is made, with their audit events, in one transaction
    const { token } = await d.accounts.recordSignIn(person, method, d.addressOf(c), (tx) => d.sessions.create(person, tx), getCookie(c, d.cookieName));
    setCookie(c, d.cookieName, token, sessionCookie(d.secure, Math.floor(d.sessions.maxMs / 1000)));
    const s = await d.sessions.resolve(token);
    return c.json({
      status: 'signed-in', role: s.role, ...(s.practitioner ? { practitioner: s.practitioner } : {}),
      idleExpiresAt: s.idleExpiresAt.toISOString(), absoluteExpiresAt: s.absoluteExpiresAt.toISOString(), csrfToken: s.csrfToken,
    });
  };

  /** The live local session of a request (a state-changing one's CSRF token checked), and its cookie value. */
  const localSession = async (c: Context): Promise<{ session: LiveSession; token: string }> => {
    const token = getCookie(c, d.cookieName);
    if (token === undefined) throw new SessionError('ERR_SESSION_MISSING', 'not signed in (POST /auth/local/login)');
    const session = await d.sessions.resolve(token);
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') checkCsrf(token, c.req.header('x-csrf-token'));
    if (session.issuer !== LOCAL_ACCOUNT_ISSUER) throw new LocalAuthError('ERR_LOCAL_NOT_LOCAL', 'this session was signed in by the identity provider; change the password there');
    return { session, token };
  };

  app.post('/auth/local/login', async (c) => {
    const b = await body(c, loginBody);
    return startSession(c, await d.accounts.signIn({ username: b.username, password: b.password, totp: b.totp, address: d.addressOf(c) }), 'password');
  });

  app.post('/auth/local/password', async (c) => {
    const { session, token } = await localSession(c);
    const b = await body(c, passwordBody);
    const ended = await d.accounts.changePassword(session.subject, b.currentPassword, b.newPassword, d.addressOf(c), hashId(token));
    d.log?.info('local_password_changed', { count: ended });
    return c.json({ status: 'password-changed', otherSessionsEnded: ended });
  });

  app.post('/auth/local/totp/enroll', async (c) => {
    const { session } = await localSession(c);
    const b = await body(c, totpEnrolBody);
    return c.json({ otpauthUri: await d.accounts.startTotp(session.subject, b.currentPassword, d.addressOf(c)) });
  });

  app.post('/auth/local/totp/confirm', async (c) => {
    const { session } = await localSession(c);
    const b = await body(c, totpConfirmBody);
    await d.accounts.confirmTotp(session.subject, b.totp, d.addressOf(c));
    return c.json({ status: 'enrolled' });
  });

  const passkeys = (): Passkeys => {
    if (!d.passkeys) throw new LocalAuthError('ERR_LOCAL_PASSKEY', 'passkeys are not configured');
    return d.passkeys;
  };

  app.post('/auth/local/passkeys/register/options', async (c) => {
    const { session } = await localSession(c);
    return c.json(await passkeys().registrationOptions(await d.accounts.accountOf(session.subject)));
  });

  app.post('/auth/local/passkeys/register/verify', async (c) => {
    const { session } = await localSession(c);
    const b = await body(c, credentialBody);
    const account = await d.accounts.accountOf(session.subject);
    // the library reads every field it needs and refuses a malformed one
    return c.json({ status: 'registered', ...(await passkeys().register(account, b.response as never, d.addressOf(c))) });
  });

  app.get('/auth/local/passkeys', async (c) => {
    const { session } = await localSession(c);
    const list = await d.accounts.passkeysOf(session.subject);
    return c.json({ passkeys: list.map((p) => ({ credentialId: p.credentialId, transports: p.transports, createdAt: p.createdAt.toISOString(), lastUsedAt: p.lastUsedAt?.toISOString() ?? null })) });
  });

  app.delete('/auth/local/passkeys/:credentialId', async (c) => {
    const { session } = await localSession(c);
    const id = c.req.param('credentialId');
    if (!/^[A-Za-z0-9_-]{16,1368}$/.test(id) || !await d.accounts.removeOwnPasskey(session.subject, id, d.addressOf(c))) {
      throw new LocalAuthError('ERR_LOCAL_PASSKEY_UNKNOWN', 'no passkey of this account has that id (GET /auth/local/passkeys)');
    }
    return c.json({ status: 'removed' });
  });

  app.post('/auth/local/passkeys/login/options', async (c) => c.json(await passkeys().authenticationOptions(d.addressOf(c))));

  app.post('/auth/local/passkeys/login/verify', async (c) => {
    const b = await body(c, credentialBody);
    return startSession(c, await passkeys().authenticate(b.response as never, d.addressOf(c)), 'passkey');
  });
  return app;
}

const signedIn = z.object({
  status: z.literal('signed-in'), role: z.enum(['provider', 'operator', 'supervisor', 'admin']), practitioner: z.string().optional(),
  idleExpiresAt: z.string(), absoluteExpiresAt: z.string(),
  csrfToken: z.string().describe('send as X-CSRF-Token on every state-changing request made with the session cookie'),
});
const json = (schema: z.ZodType) => ({ 'application/json': { schema } });
const refusal = { description: 'ERR_LOCAL_SIGN_IN_FAILED: the username, password or code is wrong (never said which)' };
const locked = { description: 'ERR_LOCAL_LOCKED: too many failures for this username or address; Retry-After says when to try again' };

/** These routes for the OpenAPI document (src/http/openapi.ts). */
export const localSignInApi = {
  'POST /auth/local/login': {
    summary: 'Sign in with a local account: username, password and (when enrolled) a TOTP code; sets the session cookie',
    requestBody: { content: json(loginBody) },
    responses: { '200': { description: 'signed in', content: json(signedIn) }, '401': refusal, '429': locked },
  },
  'POST /auth/local/password': {
    summary: 'Change the signed-in local account\'s password (X-CSRF-Token required); its other sessions end',
    requestBody: { content: json(passwordBody) },
    responses: { '200': { description: 'changed', content: json(z.object({ status: z.literal('password-changed'), otherSessionsEnded: z.number().int() })) }, '401': refusal, '429': locked },
  },
  'POST /auth/local/totp/enroll': {
    summary: 'Start enrolling a TOTP second factor for the signed-in local account (current password; X-CSRF-Token required): a new secret, active once confirmed',
    requestBody: { content: json(totpEnrolBody) },
    responses: { '200': { description: 'the otpauth:// URI for an authenticator app (shown once)', content: json(z.object({ otpauthUri: z.string() })) }, '401': refusal, '429': locked },
  },
  'POST /auth/local/totp/confirm': {
    summary: 'Confirm the enrolment with a code from the new secret (X-CSRF-Token required); from then on sign-in needs a code',
    requestBody: { content: json(totpConfirmBody) },
    responses: { '200': { description: 'enrolled', content: json(z.object({ status: z.literal('enrolled') })) }, '400': { description: 'ERR_LOCAL_TOTP_CONFIRM: no enrolment under way, or a wrong code' } },
  },
  'POST /auth/local/passkeys/register/options': {
    summary: 'Passkey registration options (WebAuthn PublicKeyCredentialCreationOptions) for the signed-in local account (X-CSRF-Token required)',
    responses: { '200': { description: 'options for navigator.credentials.create()' } },
  },
  'POST /auth/local/passkeys/register/verify': {
    summary: 'Store the passkey a registration response carries (X-CSRF-Token required)',
    requestBody: { content: json(credentialBody) },
    responses: { '200': { description: 'registered', content: json(z.object({ status: z.literal('registered'), credentialId: z.string() })) }, '401': { description: 'ERR_LOCAL_PASSKEY' } },
  },
  'GET /auth/local/passkeys': {
    summary: 'The signed-in local account\'s passkeys (ids, transports, when registered and last used)',
    responses: { '200': { description: 'the passkeys', content: json(z.object({ passkeys: z.array(z.object({ credentialId: z.string(), transports: z.array(z.string()), createdAt: z.string(), lastUsedAt: z.string().nullable() })) })) } },
  },
  'DELETE /auth/local/passkeys/:credentialId': {
    summary: 'Remove one of the signed-in local account\'s passkeys (X-CSRF-Token required)',
    requestParams: { path: z.object({ credentialId: z.string() }) },
    responses: { '200': { description: 'removed', content: json(z.object({ status: z.literal('removed') })) }, '404': { description: 'ERR_LOCAL_PASSKEY_UNKNOWN: this account has no passkey by that id' } },
  },
  'POST /auth/local/passkeys/login/options': {
    summary: 'Passkey sign-in options (WebAuthn PublicKeyCredentialRequestOptions; a single-use challenge, five minutes); at most 30 a minute per address',
    responses: { '200': { description: 'options for navigator.credentials.get()' }, '429': { description: 'ERR_LOCAL_LOCKED: too many from this address; Retry-After says when to try again' } },
  },
  'POST /auth/local/passkeys/login/verify': {
    summary: 'Sign in with a passkey: an authentication response to a challenge of ours; sets the session cookie',
    requestBody: { content: json(credentialBody) },
    responses: { '200': { description: 'signed in', content: json(signedIn) }, '401': { description: 'ERR_LOCAL_PASSKEY' }, '429': locked },
  },
};
