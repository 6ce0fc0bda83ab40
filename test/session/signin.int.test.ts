// Signing in with OpenID Connect against a real provider (oidc-provider in this process), then using
// the API with the session cookie: the flow end to end, the ID token and state checks, the claim
// mapping, idle and absolute expiry on an injected clock, logout across two app instances on one
// database, CSRF, cookie attributes, open-redirect attempts, and the session id kept only as a hash.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../support/db.js';
import { openDelivery, TestClock } from '../delivery/support.js';
import { startIdp } from './idp.js';
import { buildSignInApp, callback, cookieValue, IDLE_MS, MAX_MS, setCookieLine, signIn, startLogin, type Shared, type SignInApp } from './harness.js';
import { throughIdp } from './idp.js';
import { sealAll, verifyAuditChain } from '../../src/audit/index.js';

const ACCOUNTS: Record<string, Record<string, unknown>> = {
  ames: { groups: ['staff', 'sb-providers'], fhirUser: 'https://ehr.example/fhir/Practitioner/dr-ames' },
  otto: { groups: ['sb-operators'] },
  sue: { groups: ['sb-supervisors', 'sb-operators'] },
  nobody: { groups: ['staff'] },
  nopract: { groups: ['sb-providers'] },
};

let s: Shared;
let a: SignInApp;
let b: SignInApp;

beforeAll(async () => {
  const db = await createTestDatabase();
  const deliveryClock = new TestClock(Date.parse('2025-03-04T15:00:00Z'));
  const delivery = await openDelivery(db.sql, { base: 'https://hooks.example', clock: deliveryClock, fetch: (async () => new Response(null, { status: 200 })) as typeof fetch });
  const idp = await startIdp('https://sb.example/auth/callback', ACCOUNTS);
  s = { db, idp, delivery, clock: { t: Date.now() } };
  a = await buildSignInApp(s);
  b = await buildSignInApp(s);
});

afterAll(async () => {
  await s?.delivery.service.stop();
  await s?.idp.close();
  await s?.db.drop();
});

const get = (app: SignInApp, path: string, cookie: string, headers: Record<string, string> = {}) =>
  Promise.resolve(app.app.request(`${app.base}${path}`, { headers: { cookie, ...headers } }));
const post = (app: SignInApp, path: string, cookie: string, headers: Record<string, string> = {}, body?: string) =>
  Promise.resolve(app.app.request(`${app.base}${path}`, { method: 'POST', headers: { cookie, ...headers }, ...(body === undefined ? {} : { body }) }));
const codeOf = async (res: Response): Promise<string | undefined> => {
  const body = await res.json() as { issue?: { details?: { coding?: { code?: string }[] } }[] };
  return body.issue?.[0]?.details?.coding?.[0]?.code;
};
const diagnostics = async (res: Response): Promise<string> => ((await res.clone().json()) as { issue: { diagnostics: string }[] }).issue[0]!.diagnostics;
const whoami = async (app: SignInApp, cookie: string) => (await get(app, '/auth/session', cookie)).json() as Promise<Record<string, unknown>>;

describe('sign-in end to end', () => {
  it('a provider signs in at the IdP and reaches /me with the cookie, as a provider token for the same practitioner does', async () => {
    const { res, token, cookie } = await signIn(a, s.idp, 'ames', '/me/messages?status=all');
    expect(res.status, await res.clone().text()).toBe(302);
    expect(res.headers.get('location')).toBe('/me/messages?status=all');
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const me = await whoami(a, cookie);
    expect(me).toMatchObject({ role: 'provider', practitioner: 'dr-ames', scopes: ['provider'], person: { issuer: s.idp.issuer, subject: 'ames' } });
    expect(Date.parse(me.absoluteExpiresAt as string) - Date.parse(me.createdAt as string)).toBe(MAX_MS);
    expect(Date.parse(me.idleExpiresAt as string) - Date.parse(me.createdAt as string)).toBe(IDLE_MS);
    expect(me.csrfToken).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const bySession = await get(a, '/me/messages?status=all', cookie);
    expect(bySession.status).toBe(200);
    const byToken = await a.app.request(`${a.base}/me/messages?status=all`, { headers: { authorization: `Bearer ${await a.bearer('dr-ames')}` } });
    expect(await bySession.json()).toEqual(await byToken.json());

    // a provider session reaches /me only, like a provider token
    const inbox = await get(a, '/inbox', cookie);
    expect(inbox.status).toBe(403);
    expect(await codeOf(inbox)).toBe('ERR_AUTH_FORBIDDEN');
  });

  it('keeps the session id only as its SHA-256', async () => {
    const { token } = await signIn(a, s.idp, 'ames');
    const hash = createHash('sha256').update(token).digest();
    const rows = await s.db.sql<{ row: string; id_hash: Buffer }[]>`SELECT t::text AS row, id_hash FROM auth_session t WHERE id_hash = ${hash}`;
    expect(rows).toHaveLength(1);
    const all = await s.db.sql<{ row: string }[]>`SELECT t::text AS row FROM auth_session t`;
    for (const r of all) expect(r.row).not.toContain(token);
    // nor is a sign-in under way kept after its callback
    expect((await s.db.sql`SELECT 1 FROM auth_login`).length).toBe(0);
  });

  it('sets the cookies HttpOnly, Secure, SameSite=Lax, Path=/ with the __Host- prefix over HTTPS', async () => {
    const { res: login } = await startLogin(a);
    const loginLine = setCookieLine(login, '__Host-sb_login')!;
    expect(loginLine).toMatch(/; HttpOnly/);
    expect(loginLine).toMatch(/; Secure/);
    expect(loginLine).toMatch(/; SameSite=Lax/);
    expect(loginLine).toMatch(/; Path=\//);
    expect(loginLine).not.toMatch(/Domain=/i);
    const { res } = await signIn(a, s.idp, 'ames');
    const line = setCookieLine(res, '__Host-sb_session')!;
    expect(line).toBeDefined();
    for (const attr of ['; HttpOnly', '; Secure', '; SameSite=Lax', '; Path=/', `; Max-Age=${MAX_MS / 1000}`]) expect(line).toContain(attr);
    expect(line).not.toMatch(/Domain=/i);
  });

  it('over plain HTTP the cookie is not Secure and so not __Host- named', async () => {
    const plain = await buildSignInApp(s, { secure: false });
    const { res } = await signIn(plain, s.idp, 'otto');
    const line = setCookieLine(res, 'sb_session')!;
    expect(line).toBeDefined();
    expect(line).toContain('; HttpOnly');
    expect(line).not.toContain('Secure');
    expect(res.headers.getSetCookie().some((c) => c.startsWith('__Host-'))).toBe(false);
  });
});

describe('the claim mapping', () => {
  it('refuses a person whose groups map to no role (403 ERR_SESSION_UNKNOWN_PERSON), with no session', async () => {
    const { res, token } = await signIn(a, s.idp, 'nobody');
    expect(res.status).toBe(403);
    expect(await codeOf(res)).toBe('ERR_SESSION_UNKNOWN_PERSON');
    expect(token).toBe('');
  });

  it('refuses a provider without a practitioner claim (403 ERR_SESSION_NO_PRACTITIONER)', async () => {
    const { res } = await signIn(a, s.idp, 'nopract');
    expect(res.status).toBe(403);
    expect(await codeOf(res)).toBe('ERR_SESSION_NO_PRACTITIONER');
  });

  it('gives an operator the operator operations and no more; the widest of several roles wins', async () => {
    const { cookie } = await signIn(a, s.idp, 'otto');
    expect((await get(a, '/inbox', cookie)).status).toBe(200);
    expect((await get(a, '/oncall', cookie)).status).not.toBe(403);
    const put = await a.app.request(`${a.base}/schedule`, { method: 'PUT', headers: { cookie, 'x-csrf-token': (await whoami(a, cookie)).csrfToken as string, 'content-type': 'application/json' }, body: '{}' });
    expect(put.status).toBe(403);
    expect(await codeOf(put)).toBe('ERR_AUTH_FORBIDDEN');
    // not a provider: no /me
    expect((await get(a, '/me/messages', cookie)).status).toBe(403);
    // no FHIR reads by session
    expect((await get(a, '/fhir/Patient', cookie)).status).toBe(403);
    const sue = await signIn(a, s.idp, 'sue');
    expect(await whoami(a, sue.cookie)).toMatchObject({ role: 'supervisor' });
  });
});

describe('the callback checks', () => {
  it('refuses a callback whose state is not the one sent (401 ERR_SESSION_CALLBACK)', async () => {
    s.idp.account = 'ames';
    const { authorizationUrl, loginCookie } = await startLogin(a);
    const back = await throughIdp(authorizationUrl, a.redirectUri);
    back.searchParams.set('state', 'forged-state');
    const res = await callback(a, back, loginCookie);
    expect(res.status).toBe(401);
    expect(await diagnostics(res)).toContain('OAUTH_INVALID_RESPONSE'); // openid-client: state mismatch
    expect(await codeOf(res)).toBe('ERR_SESSION_CALLBACK');
    expect(setCookieLine(res, a.cookieName)).toBeUndefined();
  });

  it('refuses an ID token whose nonce is not the one sent (401 ERR_SESSION_CALLBACK)', async () => {
    s.idp.account = 'ames';
    const { authorizationUrl, loginCookie } = await startLogin(a);
    const back = await throughIdp(authorizationUrl, a.redirectUri);
    // the ID token carries the nonce of the authorization request; expect another
    await s.db.sql`UPDATE auth_login SET nonce = 'not-the-nonce-sent'`;
    const res = await callback(a, back, loginCookie);
    expect(res.status).toBe(401);
    expect(await diagnostics(res)).toContain('OAUTH_JWT_CLAIM_COMPARISON_FAILED'); // openid-client: nonce mismatch
    expect(await codeOf(res)).toBe('ERR_SESSION_CALLBACK');
  });

  it('refuses a callback in a browser that did not start the sign-in, and a replayed one (400 ERR_SESSION_STATE)', async () => {
    s.idp.account = 'ames';
    const { authorizationUrl, loginCookie } = await startLogin(a);
    const back = await throughIdp(authorizationUrl, a.redirectUri);
    const none = await callback(a, back);
    expect(none.status).toBe(400);
    expect(await codeOf(none)).toBe('ERR_SESSION_STATE');
    expect((await callback(a, back, loginCookie)).status).toBe(302);
    const again = await callback(a, back, loginCookie);
    expect(again.status).toBe(400);
    expect(await codeOf(again)).toBe('ERR_SESSION_STATE');
  });

  it('answers an IdP error (the person declined) with 401 ERR_SESSION_IDP, naming only the error code', async () => {
    const { authorizationUrl, loginCookie } = await startLogin(a);
    const state = new URL(authorizationUrl).searchParams.get('state')!;
    const back = new URL(a.redirectUri);
    back.search = new URLSearchParams({ error: 'access_denied', error_description: 'Patient Jane Doe MRN 12345', state, iss: s.idp.issuer }).toString();
    const res = await callback(a, back, loginCookie);
    expect(res.status).toBe(401);
    const text = await diagnostics(res);
    expect(await codeOf(res)).toBe('ERR_SESSION_IDP');
    expect(text).toContain('access_denied');
    expect(text).not.toContain('Jane');
  });

  it('refuses a return path that is not a relative path of ours (400 ERR_SESSION_RETURN_PATH)', async () => {
    for (const bad of ['https://evil.example/', '//evil.example/x', '/\\evil.example', '\\\\evil.example', 'javascript:alert(1)', 'evil', '/a b', '/x\r\nSet-Cookie: a=b', `/${'a'.repeat(600)}`]) {
      const res = await a.app.request(`${a.base}/auth/login?returnTo=${encodeURIComponent(bad)}`);
      expect(res.status, bad).toBe(400);
      expect(await codeOf(res)).toBe('ERR_SESSION_RETURN_PATH');
    }
  });
});

describe('session lifetime', () => {
  it('ends a session idle for SESSION_IDLE_MINUTES; use slides it, written at most once a minute', async () => {
    const { cookie, token } = await signIn(a, s.idp, 'ames');
    const hash = createHash('sha256').update(token).digest();
    const lastSeen = async () => (await s.db.sql<{ last_seen: Date }[]>`SELECT last_seen FROM auth_session WHERE id_hash = ${hash}`)[0]!.last_seen.getTime();
    const t0 = await lastSeen();
    s.clock.t += 30_000;
    expect((await get(a, '/auth/session', cookie)).status).toBe(200);
    expect(await lastSeen()).toBe(t0); // under a minute: not written
    s.clock.t += IDLE_MS - 60_000; // 14.5 min after sign-in
    expect((await get(a, '/me/messages', cookie)).status).toBe(200);
    expect(await lastSeen()).toBe(s.clock.t);
    s.clock.t += IDLE_MS - 1_000; // still within the slid idle window
    expect((await get(b, '/me/messages', cookie)).status).toBe(200);
    s.clock.t += IDLE_MS; // idle exactly the limit
    const res = await get(a, '/me/messages', cookie);
    expect(res.status).toBe(401);
    expect(await codeOf(res)).toBe('ERR_SESSION_EXPIRED');
  });

  it('ends a session SESSION_MAX_HOURS after sign-in however much it is used', async () => {
    const start = s.clock.t;
    const { cookie } = await signIn(a, s.idp, 'ames');
    while (s.clock.t + 10 * 60_000 < start + MAX_MS) {
      s.clock.t += 10 * 60_000;
      expect((await get(a, '/auth/session', cookie)).status).toBe(200);
    }
    s.clock.t = start + MAX_MS;
    const res = await get(a, '/auth/session', cookie);
    expect(res.status).toBe(401);
    expect(await codeOf(res)).toBe('ERR_SESSION_EXPIRED');
  });

  it('refuses an unknown or malformed cookie (401 ERR_SESSION_INVALID)', async () => {
    for (const v of ['x'.repeat(43), 'short', '']) {
      const res = await get(a, '/me/messages', `${a.cookieName}=${v}`);
      expect(res.status).toBe(401);
      expect(await codeOf(res)).toBe('ERR_SESSION_INVALID');
    }
  });
});

describe('logout', () => {
  it('revokes the session for every instance on the database and clears the cookie', async () => {
    const { cookie } = await signIn(a, s.idp, 'ames');
    expect((await get(b, '/auth/session', cookie)).status).toBe(200);
    const { csrfToken } = await whoami(b, cookie);
    const refused = await post(a, '/auth/logout', cookie);
    expect(refused.status).toBe(403);
    expect(await codeOf(refused)).toBe('ERR_SESSION_CSRF');
    const res = await post(a, '/auth/logout', cookie, { 'x-csrf-token': csrfToken as string });
    expect(res.status).toBe(200);
    const body = await res.json() as { logoutUrl?: string };
    expect(body.logoutUrl?.startsWith(`${s.idp.issuer}/session/end`)).toBe(true);
    expect(setCookieLine(res, a.cookieName)).toMatch(/Max-Age=0/);
    for (const path of ['/auth/session', '/me/messages']) {
      const after = await get(b, path, cookie);
      expect(after.status).toBe(401);
      expect(await codeOf(after)).toBe('ERR_SESSION_REVOKED');
    }
  });
});

describe('signing in again', () => {
  it('ends the session the browser had', async () => {
    const first = await signIn(a, s.idp, 'ames');
    const second = await signIn(a, s.idp, 'otto', undefined, first.cookie);
    expect(second.res.status).toBe(302);
    expect(second.token).not.toBe(first.token);
    const old = await get(a, '/auth/session', first.cookie);
    expect(old.status).toBe(401);
    expect(await codeOf(old)).toBe('ERR_SESSION_REVOKED');
    expect(await whoami(a, second.cookie)).toMatchObject({ role: 'operator' });
  });
});

describe('CSRF', () => {
  it('refuses a state-changing request by cookie without the session\'s X-CSRF-Token, or with a wrong one; bearer requests need none', async () => {
    const { cookie } = await signIn(a, s.idp, 'ames');
    const other = await signIn(a, s.idp, 'ames');
    const { csrfToken } = await whoami(a, cookie);
    const { csrfToken: otherCsrf } = await whoami(a, other.cookie);
    expect(otherCsrf).not.toBe(csrfToken);
    const attempts: Record<string, string>[] = [{}, { 'x-csrf-token': 'wrong' }, { 'x-csrf-token': otherCsrf as string }];
    for (const h of attempts) {
      const res = await post(a, '/me/messages/nope/read', cookie, h);
      expect(res.status).toBe(403);
      expect(await codeOf(res)).toBe('ERR_SESSION_CSRF');
    }
    const ok = await post(a, '/me/messages/nope/read', cookie, { 'x-csrf-token': csrfToken as string });
    expect(ok.status).not.toBe(403);
    expect(ok.status).not.toBe(401);
    const bearer = await a.app.request(`${a.base}/me/messages/nope/read`, { method: 'POST', headers: { authorization: `Bearer ${await a.bearer('dr-ames')}` } });
    expect(bearer.status).toBe(ok.status);
    // reads need no token
    expect((await get(a, '/me/messages', cookie)).status).toBe(200);
  });
});

it('a cookie value is never logged or echoed: /auth/session answers without it', async () => {
  const { token, cookie } = await signIn(a, s.idp, 'ames');
  const text = await (await get(a, '/auth/session', cookie)).text();
  expect(text).not.toContain(token);
  expect(cookieValue(`x=${token}`)).toBe(token);
});

describe('the audit trail', () => {
  it('records the sign-in (method oidc, role), a refused callback (its code only) and the sign-out; the chain verifies', async () => {
    await sealAll(s.db.sql);
    const [h] = await s.db.sql<{ seq: string }[]>`SELECT coalesce(max(seq), 0)::text AS seq FROM audit_event`;
    const { cookie } = await signIn(a, s.idp, 'otto');
    expect((await signIn(a, s.idp, 'nobody')).res.status).toBe(403);
    const { csrfToken } = await whoami(a, cookie);
    expect((await post(a, '/auth/logout', cookie, { 'x-csrf-token': csrfToken as string })).status).toBe(200);
    await sealAll(s.db.sql);
    const rows = await s.db.sql<{ actor: string; type: string; entity_ids: string[]; outcome: string; outcome_code: string }[]>`
      SELECT actor, type, entity_ids, outcome, outcome_code FROM audit_event WHERE type LIKE 'auth.%' AND seq > ${h!.seq}::bigint ORDER BY seq`;
    const issuer = s.idp.issuer;
    expect(rows).toEqual([
      { actor: `session:${issuer}|otto`, type: 'auth.signed-in', entity_ids: [`issuer:${issuer}`, 'role:operator'], outcome: 'success', outcome_code: 'oidc' },
      { actor: 'unknown', type: 'auth.sign-in-refused', entity_ids: ['method:oidc'], outcome: 'failure', outcome_code: 'ERR_SESSION_UNKNOWN_PERSON' },
      { actor: `session:${issuer}|otto`, type: 'auth.signed-out', entity_ids: [`issuer:${issuer}`, 'role:operator'], outcome: 'success', outcome_code: 'logout' },
    ]);
    expect((await verifyAuditChain(s.db.sql, { keys: [] })).ok).toBe(true);
  });
});
