// Local sign-in (no identity provider): accounts with argon2id passwords and TOTP, over the whole app
// in process on a real database. The session it makes is the OpenID Connect one (cookie, CSRF, role,
// practitioner), refusals are indistinguishable, codes are checked on an injected clock at the ±30 s
// boundaries and work once, failures lock a username and an address and then recover, a disabled
// account's sessions end, and no password, hash, secret or code reaches the log.
import { generateHOTP } from '@oslojs/otp';
import { hash } from '@node-rs/argon2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../support/db.js';
import { openDelivery, TestClock } from '../delivery/support.js';
import { ROLE_SCOPES, csrfToken } from '../../src/auth/index.js';
import type { SessionRole } from '../../src/store/index.js';
import { BASE, buildLocalApp, IDLE_MS, MAX_MS, secretOf, type LocalApp, type LocalShared } from './local-harness.js';

let s: LocalShared;
let a: LocalApp;
/** every password, code and URI handed out, to look for in the log at the end */
const secrets: string[] = [];
const PASSWORD = 'correct horse battery staple';

beforeAll(async () => {
  const db = await createTestDatabase();
  const deliveryClock = new TestClock(Date.parse('2025-03-04T15:00:00Z'));
  const delivery = await openDelivery(db.sql, { base: 'https://hooks.example', clock: deliveryClock, fetch: (async () => new Response(null, { status: 200 })) as typeof fetch });
  s = { db, delivery, clock: { t: Date.parse('2025-03-04T15:00:00Z') }, logs: [] };
  a = await buildLocalApp(s);
  secrets.push(PASSWORD);
});

afterAll(async () => {
  await s?.delivery.service.stop();
  await s?.db.drop();
});

/** A request from `address` (the socket peer @hono/node-server would give). */
const env = (address = '192.0.2.1') => ({ incoming: { socket: { remoteAddress: address } } });
const login = (app: LocalApp, b: Record<string, unknown>, o: { address?: string; cookie?: string } = {}) =>
  Promise.resolve(app.app.request(`${BASE}/auth/local/login`, { method: 'POST', headers: { 'content-type': 'application/json', ...(o.cookie ? { cookie: o.cookie } : {}) }, body: JSON.stringify(b) }, env(o.address)));
const get = (path: string, cookie: string) => Promise.resolve(a.app.request(`${BASE}${path}`, { headers: { cookie } }, env()));
const codeOf = async (res: Response): Promise<string | undefined> => {
  const body = await res.clone().json() as { issue?: { details?: { coding?: { code?: string }[] } }[] };
  return body.issue?.[0]?.details?.coding?.[0]?.code;
};
const cookieOf = (res: Response): string => {
  const line = res.headers.getSetCookie().find((c) => c.startsWith(`${a.cookieName}=`));
  return line ? line.split(';')[0]! : '';
};
let n = 0;
/** A fresh account of a role (a provider gets a practitioner). */
async function account(role: SessionRole, o: { practitioner?: string } = {}): Promise<string> {
  const username = `${role}-${++n}`;
  await a.accounts.add({ username, role, password: PASSWORD, ...(role === 'provider' ? { practitioner: o.practitioner ?? 'dr-ames' } : {}) });
  return username;
}
async function signedIn(username: string, address?: string): Promise<{ cookie: string; csrf: string }> {
  const res = await login(a, { username, password: PASSWORD }, address ? { address } : {});
  expect(res.status, await res.clone().text()).toBe(200);
  const body = await res.json() as { csrfToken: string };
  return { cookie: cookieOf(res), csrf: body.csrfToken };
}

/** Routes each role's session may or may not reach, and the operation scope (or provider) that admits them. */
const PROBES: { path: string; needs: string }[] = [
  { path: '/inbox', needs: 'inbox.read' },
  { path: '/rejected', needs: 'inbox.read' },
  { path: '/schedule', needs: 'oncall.read' },
  { path: '/delivery/dead-letters', needs: 'delivery.read' },
  { path: '/me/messages', needs: 'provider' },
];

describe('signing in with a local account', () => {
  it('gives the same kind of session as OpenID Connect: cookie attributes, role, practitioner, expiry, CSRF token', async () => {
    const user = await account('provider');
    const res = await login(a, { username: user.toUpperCase(), password: PASSWORD });
    expect(res.status, await res.clone().text()).toBe(200);
    const line = res.headers.getSetCookie().find((c) => c.startsWith('__Host-sb_session='))!;
    expect(line).toMatch(/HttpOnly/);
    expect(line).toMatch(/Secure/);
    expect(line).toMatch(/SameSite=Lax/);
    expect(line).toMatch(/Path=\//);
    expect(line).toMatch(new RegExp(`Max-Age=${MAX_MS / 1000}`));
    const body = await res.json() as Record<string, unknown>;
    expect(body).toMatchObject({ status: 'signed-in', role: 'provider', practitioner: 'dr-ames' });
    const me = await (await get('/auth/session', cookieOf(res))).json() as Record<string, unknown>;
    expect(me).toMatchObject({ person: { issuer: 'switchboard-local', subject: user }, role: 'provider', practitioner: 'dr-ames', scopes: ['provider'], csrfToken: body.csrfToken });
    expect(Date.parse(me.idleExpiresAt as string) - Date.parse(me.createdAt as string)).toBe(IDLE_MS);
  });

  it.each(['provider', 'operator', 'supervisor', 'admin'] as const)('a %s session reaches exactly its role\'s routes', async (role) => {
    const { cookie } = await signedIn(await account(role));
    for (const p of PROBES) {
      const allowed = role === 'provider' ? p.needs === 'provider' : p.needs !== 'provider' && ROLE_SCOPES[role].includes(p.needs);
      const res = await get(p.path, cookie);
      expect(res.status, `${role} GET ${p.path}: ${await res.clone().text()}`).toBe(allowed ? 200 : 403);
    }
  });

  it('an account\'s organisation is its session\'s: an operator sees that organisation\'s rows only; a malformed one is refused', async () => {
    await a.accounts.add({ username: 'org-op', role: 'operator', password: PASSWORD, organization: 'north' });
    const [south] = await s.db.sql<{ id: string }[]>`
      INSERT INTO inbox (source, sender_app, sender_facility, control_id, message_type, raw, organization)
      VALUES ('mllp', 'LAB', 'SOUTH', 'LOCAL-ORG-1', 'ADT^A01', ${Buffer.from('MSH|x')}, 'south') RETURNING id::text`;
    const { cookie } = await signedIn('org-op');
    expect(await (await get('/auth/session', cookie)).json()).toMatchObject({ role: 'operator', organization: 'north' });
    expect((await get(`/inbox/${south!.id}`, cookie)).status).toBe(404);
    await expect(a.accounts.add({ username: 'org-bad', role: 'operator', password: PASSWORD, organization: 'North Clinic' })).rejects.toMatchObject({ code: 'ERR_LOCAL_ACCOUNT_INVALID' });
  });

  it('answers an unknown user, a wrong password and a disabled account alike (401, same body, no cookie)', async () => {
    const user = await account('operator');
    const disabled = await account('operator');
    await a.accounts.disable(disabled);
    const answers: Response[] = [];
    for (const b of [
      { username: 'nobody-here', password: PASSWORD }, { username: user, password: 'wrong password, long enough' },
      { username: disabled, password: PASSWORD }, { username: 'x'.repeat(200), password: PASSWORD },
    ]) answers.push(await login(a, b, { address: '198.51.100.7' }));
    const bodies = await Promise.all(answers.map((r) => r.text()));
    for (const r of answers) {
      expect(r.status).toBe(401);
      expect(r.headers.getSetCookie()).toEqual([]);
    }
    expect(new Set(bodies).size).toBe(1);
    expect(JSON.parse(bodies[0]!).issue[0].details.coding[0].code).toBe('ERR_LOCAL_SIGN_IN_FAILED');
  });

  it('refuses a malformed body with the paths of bad fields only, never their values', async () => {
    const res = await login(a, { username: 'someone', password: 12345678901234, extra: 'secret-value' });
    expect(res.status).toBe(400);
    expect(await res.text()).not.toContain('secret-value');
  });

  it('re-hashes a password stored with older argon2id parameters at the next sign-in', async () => {
    const user = await account('operator');
    const weak = await hash(PASSWORD, { algorithm: 2, memoryCost: 4096, timeCost: 1, parallelism: 1 });
    await s.db.sql`UPDATE auth_local_account SET password_hash = ${weak} WHERE username = ${user}`;
    expect((await login(a, { username: user, password: PASSWORD })).status).toBe(200);
    const [row] = await s.db.sql<{ password_hash: string }[]>`SELECT password_hash FROM auth_local_account WHERE username = ${user}`;
    expect(row!.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect((await login(a, { username: user, password: PASSWORD })).status).toBe(200);
  });

  it('signing in again ends the session the browser had', async () => {
    const user = await account('operator');
    const first = await signedIn(user);
    const again = await login(a, { username: user, password: PASSWORD }, { cookie: first.cookie });
    expect(again.status).toBe(200);
    expect(await codeOf(await get('/inbox', first.cookie))).toBe('ERR_SESSION_REVOKED');
  });
});

describe('TOTP second factor', () => {
  const STEP_MS = 30_000;
  /** the code of the step holding `t` */
  const codeAt = (secret: Uint8Array, t: number) => generateHOTP(secret, BigInt(Math.floor(t / STEP_MS)), 6);

  async function enrolled(): Promise<{ user: string; secret: Uint8Array }> {
    const user = await account('supervisor');
    const uri = await a.accounts.enrollTotp(user);
    secrets.push(uri);
    expect(uri).toMatch(/^otpauth:\/\/totp\/Switchboard:/);
    return { user, secret: secretOf(uri) };
  }

  it('is required once enrolled: no code or a wrong one is the same refusal as a wrong password', async () => {
    const { user, secret } = await enrolled();
    const missing = await login(a, { username: user, password: PASSWORD });
    const wrong = await login(a, { username: user, password: PASSWORD, totp: codeAt(secret, s.clock.t + 5 * STEP_MS) });
    const badPassword = await login(a, { username: user, password: 'not the password at all', totp: codeAt(secret, s.clock.t) });
    for (const r of [missing, wrong, badPassword]) expect(r.status).toBe(401);
    expect(new Set(await Promise.all([missing, wrong, badPassword].map((r) => r.text()))).size).toBe(1);
    const ok = await login(a, { username: user, password: PASSWORD, totp: codeAt(secret, s.clock.t) });
    expect(ok.status).toBe(200);
  });

  // a code of step N, tried at instants around N (RFC 6238 5.2: one step either side)
  it.each([
    { at: 'the last instant of step N-2', offset: -STEP_MS - 1, ok: false },
    { at: 'the first instant of step N-1', offset: -STEP_MS, ok: true },
    { at: 'the first instant of step N', offset: 0, ok: true },
    { at: 'the last instant of step N+1', offset: 2 * STEP_MS - 1, ok: true },
    { at: 'the first instant of step N+2', offset: 2 * STEP_MS, ok: false },
  ])('a code of step N tried at $at: accepted $ok', async ({ offset, ok }) => {
    const { user, secret } = await enrolled();
    const stepN = Math.floor(s.clock.t / STEP_MS) * STEP_MS + 10 * STEP_MS;
    const code = codeAt(secret, stepN);
    const saved = s.clock.t;
    s.clock.t = stepN + offset;
    try {
      const res = await login(a, { username: user, password: PASSWORD, totp: code });
      expect(res.status, await res.clone().text()).toBe(ok ? 200 : 401);
    } finally {
      s.clock.t = saved;
    }
  });

  it('refuses a code used once already, and a code of an earlier step than one used', async () => {
    const { user, secret } = await enrolled();
    const now = codeAt(secret, s.clock.t);
    expect((await login(a, { username: user, password: PASSWORD, totp: now })).status).toBe(200);
    const replay = await login(a, { username: user, password: PASSWORD, totp: now });
    expect(replay.status).toBe(401);
    expect(await codeOf(replay)).toBe('ERR_LOCAL_SIGN_IN_FAILED');
    expect((await login(a, { username: user, password: PASSWORD, totp: codeAt(secret, s.clock.t - STEP_MS) })).status).toBe(401);
    // the next step's code is still good
    expect((await login(a, { username: user, password: PASSWORD, totp: codeAt(secret, s.clock.t + STEP_MS) })).status).toBe(200);
    expect(s.logs.some((l) => l.includes('"code":"totp_replayed"'))).toBe(true);
  });

  it('two replicas signing in with one code at once: exactly one gets a session', async () => {
    const { user, secret } = await enrolled();
    const code = codeAt(secret, s.clock.t);
    const both = await Promise.all([a, await buildLocalApp(s)].map((app) => login(app, { username: user, password: PASSWORD, totp: code })));
    expect(both.map((r) => r.status).sort()).toEqual([200, 401]);
  });

  it('keeps the secret sealed in the database (not its base32 or bytes)', async () => {
    const { user, secret } = await enrolled();
    const [row] = await s.db.sql<{ totp_secret: Buffer }[]>`SELECT totp_secret FROM auth_local_account WHERE username = ${user}`;
    expect(row!.totp_secret.includes(Buffer.from(secret))).toBe(false);
    expect(row!.totp_secret.length).toBe(12 + secret.length + 16);
  });

  it('LOCAL_AUTH_REQUIRE_TOTP: an account without a second factor cannot sign in', async () => {
    const strict = await buildLocalApp(s, { requireTotp: true });
    const user = await account('operator');
    expect((await login(strict, { username: user, password: PASSWORD })).status).toBe(401);
    const uri = await strict.accounts.enrollTotp(user);
    secrets.push(uri);
    expect((await login(strict, { username: user, password: PASSWORD, totp: codeAt(secretOf(uri), s.clock.t) })).status).toBe(200);
  });
});

describe('TOTP enrolment by the signed-in person', () => {
  const STEP_MS = 30_000;
  const codeAt = (secret: Uint8Array, t: number) => generateHOTP(secret, BigInt(Math.floor(t / STEP_MS)), 6);
  const post = (path: string, auth: { cookie: string; csrf?: string }, body: Record<string, unknown>) => Promise.resolve(a.app.request(`${BASE}${path}`, {
    method: 'POST', headers: { cookie: auth.cookie, 'content-type': 'application/json', ...(auth.csrf ? { 'x-csrf-token': auth.csrf } : {}) }, body: JSON.stringify(body),
  }, env()));

  it('needs the CSRF token and the current password; the secret counts only once a code from it confirms it', async () => {
    const user = await account('operator');
    const me = await signedIn(user);
    expect(await codeOf(await post('/auth/local/totp/enroll', { cookie: me.cookie }, { currentPassword: PASSWORD }))).toBe('ERR_SESSION_CSRF');
    expect((await post('/auth/local/totp/enroll', me, { currentPassword: 'not my password at all' })).status).toBe(401);
    const started = await post('/auth/local/totp/enroll', me, { currentPassword: PASSWORD });
    expect(started.status, await started.clone().text()).toBe(200);
    const { otpauthUri } = await started.json() as { otpauthUri: string };
    secrets.push(otpauthUri);
    const secret = secretOf(otpauthUri);
    // not confirmed: sign-in still needs no code
    expect((await login(a, { username: user, password: PASSWORD })).status).toBe(200);
    const wrong = await post('/auth/local/totp/confirm', me, { totp: codeAt(secret, s.clock.t + 10 * STEP_MS) });
    expect(wrong.status).toBe(400);
    expect(await codeOf(wrong)).toBe('ERR_LOCAL_TOTP_CONFIRM');
    const code = codeAt(secret, s.clock.t);
    expect(await (await post('/auth/local/totp/confirm', me, { totp: code })).json()).toEqual({ status: 'enrolled' });
    // enrolled: a code is needed, and the confirming one is used up
    expect((await login(a, { username: user, password: PASSWORD })).status).toBe(401);
    expect((await login(a, { username: user, password: PASSWORD, totp: code })).status).toBe(401);
    expect((await login(a, { username: user, password: PASSWORD, totp: codeAt(secret, s.clock.t + STEP_MS) })).status).toBe(200);
    expect(await codeOf(await post('/auth/local/totp/confirm', me, { totp: code }))).toBe('ERR_LOCAL_TOTP_CONFIRM');
  });
});

describe('lockout and backoff', () => {
  it('locks a username after 5 failures (429 with Retry-After, the right password refused unchecked), then recovers', async () => {
    const user = await account('operator');
    for (let i = 0; i < 5; i++) expect((await login(a, { username: user, password: `wrong password ${i}` }, { address: `203.0.113.${i}` })).status).toBe(401);
    const locked = await login(a, { username: user, password: PASSWORD }, { address: '203.0.113.99' });
    expect(locked.status).toBe(429);
    expect(locked.headers.get('retry-after')).toBe('30');
    expect(await codeOf(locked)).toBe('ERR_LOCAL_LOCKED');
    s.clock.t += 30_000;
    expect((await login(a, { username: user, password: PASSWORD }, { address: '203.0.113.99' })).status).toBe(200);
    // a success clears the count: the next failure does not lock
    expect((await login(a, { username: user, password: 'wrong again, once' }, { address: '203.0.113.99' })).status).toBe(401);
    expect((await login(a, { username: user, password: PASSWORD }, { address: '203.0.113.99' })).status).toBe(200);
  });

  it('a burst of parallel guesses for one username gets one check; the rest are refused unchecked (429)', async () => {
    const user = await account('operator');
    const burst = await Promise.all(Array.from({ length: 10 }, (_, i) => login(a, { username: user, password: `parallel guess ${i}` }, { address: `203.0.116.${i}` })));
    expect(burst.map((r) => r.status).sort()).toEqual([401, ...Array<number>(9).fill(429)]);
    expect(burst.find((r) => r.status === 429)!.headers.get('retry-after')).toBe('1');
    const [row] = await s.db.sql<{ failures: number }[]>`SELECT failures FROM auth_local_throttle WHERE key = ${`user:${user}`}`;
    expect(row!.failures).toBe(1);
    expect((await login(a, { username: user, password: PASSWORD })).status).toBe(200);
  });

  it('at most 4 checks at once from one address', async () => {
    const burst = await Promise.all(Array.from({ length: 6 }, (_, i) => login(a, { username: `burst-${i}`, password: 'guess guess guess' }, { address: '203.0.117.1' })));
    expect(burst.map((r) => r.status).sort()).toEqual([401, 401, 401, 401, 429, 429]);
  });

  it('doubles the lock with each further failure', async () => {
    const user = await account('operator');
    for (let i = 0; i < 5; i++) await login(a, { username: user, password: `wrong password ${i}` }, { address: `203.0.114.${i}` });
    s.clock.t += 30_000;
    expect((await login(a, { username: user, password: 'still wrong, sixth' }, { address: '203.0.114.50' })).status).toBe(401);
    expect((await login(a, { username: user, password: PASSWORD }, { address: '203.0.114.50' })).headers.get('retry-after')).toBe('60');
    s.clock.t += 60_000;
    expect((await login(a, { username: user, password: PASSWORD }, { address: '203.0.114.50' })).status).toBe(200);
  });

  it('locks an unknown username exactly as a known one (a lockout says nothing of existence)', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await login(a, { username: 'ghost-user', password: `wrong password ${i}` }, { address: `203.0.115.${i}` })).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    s.clock.t += 30_000;
  });

  it('locks an address after 20 failures across usernames; other addresses go on', async () => {
    const user = await account('operator');
    for (let i = 0; i < 20; i++) expect((await login(a, { username: `sprayed-${i}`, password: 'guess guess guess' }, { address: '198.18.0.1' })).status).toBe(401);
    const locked = await login(a, { username: user, password: PASSWORD }, { address: '198.18.0.1' });
    expect(locked.status).toBe(429);
    expect((await login(a, { username: user, password: PASSWORD }, { address: '198.18.0.2' })).status).toBe(200);
    s.clock.t += 30_000;
    expect((await login(a, { username: user, password: PASSWORD }, { address: '198.18.0.1' })).status).toBe(200);
  });
});

describe('disabling, password change and CSRF', () => {
  it('disabling an account signs out all its sessions at once and refuses its sign-in', async () => {
    const user = await account('supervisor');
    const one = await signedIn(user);
    const two = await signedIn(user);
    expect((await get('/inbox', one.cookie)).status).toBe(200);
    expect(await a.accounts.disable(user)).toBe(2);
    for (const c of [one, two]) {
      const res = await get('/inbox', c.cookie);
      expect(res.status).toBe(401);
      expect(await codeOf(res)).toBe('ERR_SESSION_REVOKED');
    }
    expect((await login(a, { username: user, password: PASSWORD })).status).toBe(401);
    await a.accounts.enable(user);
    expect((await login(a, { username: user, password: PASSWORD })).status).toBe(200);
  });

  const changePassword = (cookie: string, csrf: string | undefined, body: Record<string, unknown>) =>
    Promise.resolve(a.app.request(`${BASE}/auth/local/password`, {
      method: 'POST', headers: { cookie, 'content-type': 'application/json', ...(csrf ? { 'x-csrf-token': csrf } : {}) }, body: JSON.stringify(body),
    }, env()));

  it('changes the signed-in person\'s password only with the session\'s CSRF token and the current password; other sessions end', async () => {
    const user = await account('provider');
    const here = await signedIn(user);
    const elsewhere = await signedIn(user);
    const next = 'a brand new passphrase 42';
    secrets.push(next);
    const noCsrf = await changePassword(here.cookie, undefined, { currentPassword: PASSWORD, newPassword: next });
    expect(noCsrf.status).toBe(403);
    expect(await codeOf(noCsrf)).toBe('ERR_SESSION_CSRF');
    expect((await changePassword(here.cookie, 'x'.repeat(43), { currentPassword: PASSWORD, newPassword: next })).status).toBe(403);
    const wrongCurrent = await changePassword(here.cookie, here.csrf, { currentPassword: 'not my password at all', newPassword: next });
    expect(wrongCurrent.status).toBe(401);
    const short = await changePassword(here.cookie, here.csrf, { currentPassword: PASSWORD, newPassword: 'short' });
    expect(short.status).toBe(400);
    expect(await codeOf(short)).toBe('ERR_LOCAL_PASSWORD_POLICY');
    const ok = await changePassword(here.cookie, here.csrf, { currentPassword: PASSWORD, newPassword: next });
    expect(ok.status, await ok.clone().text()).toBe(200);
    expect(await ok.json()).toEqual({ status: 'password-changed', otherSessionsEnded: 1 });
    expect((await get('/me/messages', here.cookie)).status).toBe(200);
    expect(await codeOf(await get('/me/messages', elsewhere.cookie))).toBe('ERR_SESSION_REVOKED');
    expect((await login(a, { username: user, password: PASSWORD })).status).toBe(401);
    expect((await login(a, { username: user, password: next })).status).toBe(200);
  });

  it('a state-changing API request by a local session needs its X-CSRF-Token, as an OIDC session\'s does', async () => {
    const { cookie, csrf } = await signedIn(await account('supervisor'));
    const put = (headers: Record<string, string>) => Promise.resolve(a.app.request(`${BASE}/schedule`, { method: 'PUT', headers: { cookie, 'content-type': 'application/json', ...headers }, body: '{}' }, env()));
    const without = await put({});
    expect(without.status).toBe(403);
    expect(await codeOf(without)).toBe('ERR_SESSION_CSRF');
    const withToken = await put({ 'x-csrf-token': csrf });
    expect([401, 403]).not.toContain(withToken.status);
  });

  it('POST /auth/local/login takes JSON only (a cross-site form cannot post it)', async () => {
    const user = await account('operator');
    const res = await a.app.request(`${BASE}/auth/local/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `username=${user}&password=${encodeURIComponent(PASSWORD)}` }, env());
    expect(res.status).toBe(415);
  });

  it('an OpenID Connect session cannot use the local password change (403 ERR_LOCAL_NOT_LOCAL); no session is 401', async () => {
    const { token } = await a.sessions.create({ issuer: 'https://idp.example', subject: 'operator-1', role: 'operator', practitioner: null });
    const res = await changePassword(`${a.cookieName}=${token}`, csrfToken(token), { currentPassword: PASSWORD, newPassword: 'whatever it is now' });
    expect(res.status).toBe(403);
    expect(await codeOf(res)).toBe('ERR_LOCAL_NOT_LOCAL');
    expect((await changePassword(`${a.cookieName}=${'A'.repeat(43)}`, undefined, { currentPassword: PASSWORD, newPassword: 'whatever it is now' })).status).toBe(401);
  });
});

describe('the log', () => {
  it('never carries a password, a hash, a TOTP secret or URI, or a code', async () => {
    const log = s.logs.join('\n');
    expect(s.logs.length).toBeGreaterThan(10);
    expect(log).not.toContain('$argon2');
    for (const secret of secrets) {
      expect(log).not.toContain(secret);
      if (secret.startsWith('otpauth:')) expect(log).not.toContain(new URL(secret).searchParams.get('secret')!);
    }
    for (const line of s.logs) expect(Object.keys(JSON.parse(line) as object).every((k) => ['time', 'level', 'event', 'code', 'count', 'errorName', 'errorCode', 'status', 'method', 'setting', 'issuer'].includes(k))).toBe(true);
  });
});
