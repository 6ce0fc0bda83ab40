// The sign-in routes: GET /auth/login (to the IdP), GET /auth/callback (back from it: a session),
// POST /auth/logout, GET /auth/session (who am I, and the CSRF token). The route table lists them as
// public: each reads its own cookie here, and the gate accepts the session cookie on every other route.
// A sign-in, a refused callback and a sign-out are recorded in the audit trail (sign-in-audit.ts).
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { endSession, insertLogin, takeLogin, type Sql } from '../store/index.js';
import { notFound } from '../outcome/index.js';
import type { Logger } from '../obs/index.js';
import { SessionError } from './session-errors.js';
import { hashId, randomToken, checkCsrf, type SessionManager } from './sessions.js';
import { mapPerson, ROLE_SCOPES, type ClaimMapping, type Person } from './session-roles.js';
import type { OidcRelyingParty } from './oidc.js';
import { auditAlone, refusedEvent, signedOutEvent, startAudited, withAudit, type AuditSink } from './sign-in-audit.js';

/** A sign-in must come back from the IdP within this. */
export const LOGIN_TTL_MS = 10 * 60_000;
/** Where the browser lands after sign-in when it asked for nowhere. */
export const DEFAULT_RETURN_PATH = '/auth/session';
const MAX_RETURN_PATH = 512;
/** A callback's query (code, state, iss, session_state): far below this. */
const MAX_CALLBACK_QUERY = 4096;

/** Cookie names: `__Host-` (Secure, Path=/, no Domain: only this origin may set it) when served over HTTPS. */
export function cookieNames(secure: boolean): { session: string; login: string } {
  return secure ? { session: '__Host-sb_session', login: '__Host-sb_login' } : { session: 'sb_session', login: 'sb_login' };
}

/**
 * A path on this server and nothing else: one leading slash, not `//` or `/\` (another host to a
 * browser), no scheme, no backslash, no control or space characters, bounded.
 */
export function safeReturnPath(v: string | undefined): string {
  if (v === undefined || v === '') return DEFAULT_RETURN_PATH;
  if (v.length > MAX_RETURN_PATH || !/^\/(?![/\\])[\x21-\x7e]*$/.test(v) || v.includes('\\')) {
    throw new SessionError('ERR_SESSION_RETURN_PATH', 'returnTo must be a relative path on this server (starting with a single /)');
  }
  return v;
}

/** The session cookie's attributes, whichever way the person signed in. */
export function sessionCookie(secure: boolean, maxAgeS: number) {
  return { httpOnly: true, secure, sameSite: 'Lax' as const, path: '/', maxAge: maxAgeS };
}

export interface SignInDeps {
  sql: Sql;
  sessions: SessionManager;
  /** OpenID Connect; unset when only local sign-in is on (local-app.ts): /auth/login and /auth/callback then answer 404 */
  oidc?: OidcRelyingParty;
  mapping?: ClaimMapping;
  /** Cookies Secure and `__Host-` named: the API is served over HTTPS (PUBLIC_BASE_URL https, or TLS here). */
  secure: boolean;
  now?: () => Date;
  /** sign-ins and refusals, by code and issuer only (never a claim) */
  log?: Logger;
  /** where sign-ins, refusals and sign-outs are recorded (src/audit's appendAudit); unset: nowhere */
  audit?: AuditSink;
  /** the client's address (TRUST_PROXY applied) for the audit trail; null when unknown */
  addressOf?: (c: Context) => string | null;
}

export function createSignInApp(d: SignInDeps): Hono {
  const app = new Hono();
  const names = cookieNames(d.secure);
  const now = d.now ?? (() => new Date());
  const cookie = (maxAgeS: number) => sessionCookie(d.secure, maxAgeS);
  const idp = (): { oidc: OidcRelyingParty; mapping: ClaimMapping } => {
    if (!d.oidc || !d.mapping) throw notFound('OpenID Connect sign-in is not configured (OIDC_ISSUER); sign in with POST /auth/local/login', { code: 'ERR_NO_ROUTE' });
    return { oidc: d.oidc, mapping: d.mapping };
  };
  const clear = (c: Context, name: string) => deleteCookie(c, name, { path: '/', secure: d.secure });

  app.get('/auth/login', async (c) => {
    const { oidc } = idp();
    const returnTo = safeReturnPath(c.req.query('returnTo'));
    const req = await oidc.authorizationRequest();
    const handle = randomToken();
    const t = now();
    await insertLogin(d.sql, hashId(handle), { state: req.state, nonce: req.nonce, codeVerifier: req.codeVerifier, returnTo }, new Date(t.getTime() + LOGIN_TTL_MS), t);
    setCookie(c, names.login, handle, cookie(LOGIN_TTL_MS / 1000));
    return c.redirect(req.url.href, 302);
  });

  app.get('/auth/callback', async (c) => {
    const { oidc, mapping } = idp();
    const search = new URL(c.req.url).search;
    if (search.length > MAX_CALLBACK_QUERY) throw new SessionError('ERR_SESSION_STATE', 'callback query is too long');
    const handle = getCookie(c, names.login);
    clear(c, names.login);
    // the sign-in must have started in this browser (its cookie), and is used once
    const login = handle && /^[A-Za-z0-9_-]{43}$/.test(handle) ? await takeLogin(d.sql, hashId(handle), now()) : undefined;
    if (!login) throw new SessionError('ERR_SESSION_STATE', 'no sign-in under way in this browser (or it took longer than 10 minutes); start again at /auth/login');
    const address = d.addressOf?.(c) ?? null;
    let person: Person;
    try {
      person = mapPerson(await oidc.exchange(search, login), mapping);
    } catch (e) {
      const code = (e as { code?: string }).code;
      d.log?.warn('session_sign_in_refused', { errorCode: code });
      // the refusal's code only: a claim of a refused token is not trusted, not even as a name
      await auditAlone(d.sql, d.audit, [refusedEvent(now(), 'unknown', 'oidc', code ?? 'ERR_SESSION_CALLBACK', address)], d.log);
      throw e;
    }
    // a browser signing in again ends the session it had (no two live sessions behind one cookie jar)
    // (the old session's end, the new session and their audit events commit together)
    const previous = getCookie(c, names.session);
    const { token } = await startAudited(d.sql, d.audit, { person, method: 'oidc', address, previous, now: now() }, (tx) => d.sessions.create(person, tx));
    setCookie(c, names.session, token, cookie(Math.floor(d.sessions.maxMs / 1000)));
    d.log?.info('session_signed_in', { issuer: person.issuer });
    return c.redirect(login.returnTo, 302);
  });

  app.post('/auth/logout', async (c) => {
    const token = getCookie(c, names.session);
    if (token !== undefined) {
      // a live session is ended only by a request carrying its CSRF token; a dead one's cookie is just cleared
      const live = await d.sessions.resolve(token).then(() => true, () => false);
      if (live) checkCsrf(token, c.req.header('x-csrf-token'));
      if (/^[A-Za-z0-9_-]{43}$/.test(token)) {
        const t = now();
        const address = d.addressOf?.(c) ?? null;
        // the revocation and its auth.signed-out event commit together
        await withAudit(d.sql, d.audit, (tx) => endSession(tx, hashId(token), t), (ended) => ended ? [signedOutEvent(t, ended, address)] : []);
      }
    }
    clear(c, names.session);
    const logoutUrl = await d.oidc?.logoutUrl();
    return c.json({ status: 'signed-out', ...(logoutUrl ? { logoutUrl } : {}) });
  });

  app.get('/auth/session', async (c) => {
    const token = getCookie(c, names.session);
    if (token === undefined) throw new SessionError('ERR_SESSION_MISSING', 'not signed in (GET /auth/login)');
    const s = await d.sessions.resolve(token);
    return c.json({
      person: { issuer: s.issuer, subject: s.subject },
      role: s.role,
      ...(s.practitioner ? { practitioner: s.practitioner } : {}),
      organization: s.organization,
      scopes: ROLE_SCOPES[s.role],
      createdAt: s.createdAt.toISOString(),
      idleExpiresAt: s.idleExpiresAt.toISOString(),
      absoluteExpiresAt: s.absoluteExpiresAt.toISOString(),
      csrfToken: s.csrfToken,
    });
  });
  return app;
}

const sessionView = z.object({
  person: z.object({ issuer: z.string(), subject: z.string().describe('the IdP\'s sub (a local account: its username)') }),
  role: z.enum(['provider', 'operator', 'supervisor', 'admin']),
  organization: z.string().describe('the organisation the person acts for (README "Organisations")'),
  practitioner: z.string().optional().describe('the practitioner a provider session acts for'),
  scopes: z.array(z.string()),
  createdAt: z.string(), idleExpiresAt: z.string(), absoluteExpiresAt: z.string(),
  csrfToken: z.string().describe('send as X-CSRF-Token on every state-changing request made with the session cookie'),
});

/** These routes for the OpenAPI document (src/http/openapi.ts). */
export const signInApi = {
  'GET /auth/login': {
    summary: 'Sign in: redirect to the identity provider (authorization code with PKCE)',
    requestParams: { query: z.object({ returnTo: z.string().optional().describe(`a relative path on this server to land on after sign-in (default ${DEFAULT_RETURN_PATH})`) }) },
    responses: { '302': { description: 'to the identity provider; sets the short-lived sign-in cookie' } },
  },
  'GET /auth/callback': {
    summary: 'Back from the identity provider: the code is exchanged, the ID token checked, a session made',
    responses: { '302': { description: 'to the returnTo path; sets the session cookie' } },
  },
  'POST /auth/logout': {
    summary: 'Sign out: the session is revoked on every replica and its cookie cleared (X-CSRF-Token required)',
    responses: { '200': { description: 'signed out', content: { 'application/json': { schema: z.object({ status: z.literal('signed-out'), logoutUrl: z.string().optional().describe('the IdP\'s end-session URL, to sign out there too') }) } } } },
  },
  'GET /auth/session': {
    summary: 'Who am I: the session\'s person, role, practitioner, expiry and CSRF token',
    responses: { '200': { description: 'the session', content: { 'application/json': { schema: sessionView } } } },
  },
};
