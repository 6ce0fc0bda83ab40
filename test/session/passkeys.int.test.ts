// Passkeys for local accounts (WebAuthn, @simplewebauthn/server) against a software authenticator
// built in the test (authenticator.ts: an ES256 key, attestation 'none', the bytes assembled per the
// spec): a signed-in person registers one, then signs in with it alone; challenges are single-use and
// expire; a wrong origin or RP, a counter that does not advance, a disabled account are refused.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../support/db.js';
import { openDelivery, TestClock } from '../delivery/support.js';
import { CHALLENGE_TTL_MS } from '../../src/auth/index.js';
import { BASE, RP_ID, buildLocalApp, type LocalApp, type LocalShared } from './local-harness.js';
import { SoftAuthenticator } from './authenticator.js';

let s: LocalShared;
let a: LocalApp;
const PASSWORD = 'correct horse battery staple';

beforeAll(async () => {
  const db = await createTestDatabase();
  const clock = new TestClock(Date.parse('2025-03-04T15:00:00Z'));
  const delivery = await openDelivery(db.sql, { base: 'https://hooks.example', clock, fetch: (async () => new Response(null, { status: 200 })) as typeof fetch });
  s = { db, delivery, clock: { t: Date.parse('2025-03-04T15:00:00Z') }, logs: [] };
  a = await buildLocalApp(s);
});

afterAll(async () => {
  await s?.delivery.service.stop();
  await s?.db.drop();
});

const env = { incoming: { socket: { remoteAddress: '192.0.2.10' } } };
const post = (path: string, body?: unknown, headers: Record<string, string> = {}) => Promise.resolve(a.app.request(`${BASE}${path}`, {
  method: 'POST', headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers }, ...(body === undefined ? {} : { body: JSON.stringify(body) }),
}, env));
const codeOf = async (res: Response): Promise<string | undefined> => ((await res.clone().json()) as { issue?: { details?: { coding?: { code?: string }[] } }[] }).issue?.[0]?.details?.coding?.[0]?.code;
const cookieOf = (res: Response): string => (res.headers.getSetCookie().find((c) => c.startsWith(`${a.cookieName}=`)) ?? '').split(';')[0]!;

let n = 0;
async function signedIn(role: 'provider' | 'operator' = 'operator'): Promise<{ user: string; auth: Record<string, string> }> {
  const user = `pk-${role}-${++n}`;
  await a.accounts.add({ username: user, role, password: PASSWORD, ...(role === 'provider' ? { practitioner: 'dr-ames' } : {}) });
  const res = await post('/auth/local/login', { username: user, password: PASSWORD });
  expect(res.status).toBe(200);
  return { user, auth: { cookie: cookieOf(res), 'x-csrf-token': ((await res.json()) as { csrfToken: string }).csrfToken } };
}

async function registered(role: 'provider' | 'operator' = 'operator'): Promise<{ user: string; key: SoftAuthenticator; auth: Record<string, string> }> {
  const { user, auth } = await signedIn(role);
  const options = await post('/auth/local/passkeys/register/options', undefined, auth);
  expect(options.status, await options.clone().text()).toBe(200);
  const o = await options.json() as { challenge: string; rp: { id: string }; user: { name: string }; attestation: string; authenticatorSelection: { userVerification: string } };
  expect(o).toMatchObject({ rp: { id: RP_ID }, user: { name: user }, attestation: 'none', authenticatorSelection: { userVerification: 'required' } });
  const key = new SoftAuthenticator({ origin: BASE, rpId: RP_ID });
  const verify = await post('/auth/local/passkeys/register/verify', { response: key.create(o.challenge) }, auth);
  expect(verify.status, await verify.clone().text()).toBe(200);
  expect(await verify.json()).toEqual({ status: 'registered', credentialId: key.id });
  return { user, key, auth };
}

async function challenge(): Promise<string> {
  const res = await post('/auth/local/passkeys/login/options');
  expect(res.status).toBe(200);
  const o = await res.json() as { challenge: string; rpId: string; userVerification: string };
  expect(o).toMatchObject({ rpId: RP_ID, userVerification: 'required' });
  return o.challenge;
}

describe('passkeys', () => {
  it('a signed-in person registers a passkey, then signs in with it alone: the same session as a password gives', async () => {
    const { user, key } = await registered('provider');
    const res = await post('/auth/local/passkeys/login/verify', { response: key.get(await challenge()) });
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await res.clone().json()).toMatchObject({ status: 'signed-in', role: 'provider', practitioner: 'dr-ames' });
    const cookie = cookieOf(res);
    const me = await (await a.app.request(`${BASE}/auth/session`, { headers: { cookie } }, env)).json() as Record<string, unknown>;
    expect(me).toMatchObject({ person: { issuer: 'switchboard-local', subject: user }, role: 'provider' });
    expect((await a.app.request(`${BASE}/me/messages`, { headers: { cookie } }, env)).status).toBe(200);
    const [row] = await s.db.sql<{ sign_count: string }[]>`SELECT sign_count FROM auth_local_passkey WHERE credential_id = ${key.id}`;
    expect(Number(row!.sign_count)).toBe(key.signCount);
  });

  it('registration needs the session and its CSRF token; a registration challenge is the asking account\'s, used once', async () => {
    const { auth } = await signedIn();
    expect((await post('/auth/local/passkeys/register/options')).status).toBe(401);
    expect(await codeOf(await post('/auth/local/passkeys/register/options', undefined, { cookie: auth.cookie! }))).toBe('ERR_SESSION_CSRF');
    const o = await (await post('/auth/local/passkeys/register/options', undefined, auth)).json() as { challenge: string };
    const other = await signedIn();
    const key = new SoftAuthenticator({ origin: BASE, rpId: RP_ID });
    // another account cannot answer this account's challenge (and the attempt uses it up)
    expect(await codeOf(await post('/auth/local/passkeys/register/verify', { response: key.create(o.challenge) }, other.auth))).toBe('ERR_LOCAL_PASSKEY');
    expect((await post('/auth/local/passkeys/register/verify', { response: key.create(o.challenge) }, auth)).status).toBe(401);
  });

  it('refuses a registration from another origin', async () => {
    const { auth } = await signedIn();
    const o = await (await post('/auth/local/passkeys/register/options', undefined, auth)).json() as { challenge: string };
    const key = new SoftAuthenticator({ origin: BASE, rpId: RP_ID });
    const res = await post('/auth/local/passkeys/register/verify', { response: key.create(o.challenge, { origin: 'https://evil.example' }) }, auth);
    expect(res.status).toBe(401);
    expect(await codeOf(res)).toBe('ERR_LOCAL_PASSKEY');
  });

  it('refuses a registration without user verification', async () => {
    const { auth } = await signedIn();
    const o = await (await post('/auth/local/passkeys/register/options', undefined, auth)).json() as { challenge: string };
    const key = new SoftAuthenticator({ origin: BASE, rpId: RP_ID, userVerified: false });
    expect((await post('/auth/local/passkeys/register/verify', { response: key.create(o.challenge) }, auth)).status).toBe(401);
  });

  it('a sign-in challenge works once', async () => {
    const { key } = await registered();
    const c = await challenge();
    const first = key.get(c);
    expect((await post('/auth/local/passkeys/login/verify', { response: first })).status).toBe(200);
    const replay = await post('/auth/local/passkeys/login/verify', { response: first });
    expect(replay.status).toBe(401);
    expect(replay.headers.getSetCookie()).toEqual([]);
    expect((await post('/auth/local/passkeys/login/verify', { response: key.get(c) })).status).toBe(401);
  });

  it('a sign-in challenge expires after five minutes', async () => {
    const { key } = await registered();
    const c = await challenge();
    s.clock.t += CHALLENGE_TTL_MS;
    expect((await post('/auth/local/passkeys/login/verify', { response: key.get(c) })).status).toBe(401);
    expect((await post('/auth/local/passkeys/login/verify', { response: key.get(await challenge()) })).status).toBe(200);
  });

  it.each([
    { what: 'another origin', opts: { origin: 'https://evil.example' } },
    { what: 'another relying party', opts: { rpId: 'evil.example' } },
    { what: 'a signature counter that did not advance (a cloned key)', opts: { keepCounter: true } },
  ])('refuses an assertion from $what', async ({ opts }) => {
    const { key } = await registered();
    expect((await post('/auth/local/passkeys/login/verify', { response: key.get(await challenge()) })).status).toBe(200);
    const res = await post('/auth/local/passkeys/login/verify', { response: key.get(await challenge(), opts) });
    expect(res.status).toBe(401);
    expect(await codeOf(res)).toBe('ERR_LOCAL_PASSKEY');
  });

  it('refuses an unregistered key, and a registered key of a disabled account', async () => {
    const stranger = new SoftAuthenticator({ origin: BASE, rpId: RP_ID });
    expect((await post('/auth/local/passkeys/login/verify', { response: stranger.get(await challenge()) })).status).toBe(401);
    const { user, key } = await registered();
    await a.accounts.disable(user);
    expect((await post('/auth/local/passkeys/login/verify', { response: key.get(await challenge()) })).status).toBe(401);
  });

  it('keeps challenges only as hashes', async () => {
    const c = await challenge();
    const rows = await s.db.sql<{ row: string }[]>`SELECT t::text AS row FROM auth_local_challenge t`;
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) expect(r.row).not.toContain(c);
  });
});
