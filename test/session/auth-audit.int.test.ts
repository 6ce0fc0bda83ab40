// Sign-in in the audit trail, over the whole app in process on a real database: every sign-in
// (password, passkey), refusal (wrong password, unknown name, disabled, TOTP, locked), sign-out,
// password change, disable, TOTP enrolment and passkey registration and removal leaves its event with
// the right fields; the chain verifies; no password, code, secret or mistyped name is in any row.
// Also: a person lists and removes their own passkeys; passkey sign-in options are limited per
// address; a disabled account's session is refused at its next request however it was made.
import { generateHOTP } from '@oslojs/otp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../support/db.js';
import { openDelivery, TestClock } from '../delivery/support.js';
import { sealAll, searchAudit, toAuditEvent, verifyAuditChain } from '../../src/audit/index.js';
import { OPTIONS_PER_ADDRESS, OPTIONS_WINDOW_MS, personOf } from '../../src/auth/index.js';
import { getLocalAccount } from '../../src/store/index.js';
import { BASE, RP_ID, buildLocalApp, secretOf, type LocalApp, type LocalShared } from './local-harness.js';
import { SoftAuthenticator } from './authenticator.js';

let s: LocalShared;
let a: LocalApp;
const PASSWORD = 'correct horse battery staple';
/** every secret typed or handed out, to look for in the audit rows at the end */
const secrets: string[] = [PASSWORD];

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

const ADDRESS = '192.0.2.77';
const env = (address = ADDRESS) => ({ incoming: { socket: { remoteAddress: address } } });
const req = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}, address?: string) => Promise.resolve(a.app.request(`${BASE}${path}`, {
  method, headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers }, ...(body === undefined ? {} : { body: JSON.stringify(body) }),
}, env(address)));
const post = (path: string, body?: unknown, headers: Record<string, string> = {}, address?: string) => req('POST', path, body, headers, address);
const cookieOf = (res: Response): string => (res.headers.getSetCookie().find((c) => c.startsWith(`${a.cookieName}=`)) ?? '').split(';')[0]!;
const codeOf = async (res: Response): Promise<string | undefined> => ((await res.clone().json()) as { issue?: { details?: { coding?: { code?: string }[] } }[] }).issue?.[0]?.details?.coding?.[0]?.code;

interface Row { seq: string; actor: string; actor_kind: string; action: string; type: string; entity_type: string | null; entity_ids: string[]; outcome: string; outcome_code: string | null; source: string | null }
/** The auth.* events sealed so far, after `after` (a seq). */
async function events(after = '0'): Promise<Row[]> {
  await sealAll(s.db.sql);
  return s.db.sql<Row[]>`
    SELECT seq::text AS seq, actor, actor_kind, action, type, entity_type, entity_ids, outcome, outcome_code, source
    FROM audit_event e WHERE type LIKE 'auth.%' AND e.seq > ${after}::bigint ORDER BY e.seq`;
}
async function head(): Promise<string> {
  await sealAll(s.db.sql);
  const [r] = await s.db.sql<{ seq: string }[]>`SELECT coalesce(max(seq), 0)::text AS seq FROM audit_event`;
  return r!.seq;
}

let n = 0;
async function account(role: 'provider' | 'operator' = 'operator', organization?: string): Promise<string> {
  const user = `au-${role}-${++n}`;
  await a.accounts.add({ username: user, role, password: PASSWORD, ...(role === 'provider' ? { practitioner: 'dr-ames' } : {}), ...(organization ? { organization } : {}) });
  return user;
}
async function signedIn(user: string): Promise<Record<string, string>> {
  const res = await post('/auth/local/login', { username: user, password: PASSWORD });
  expect(res.status, await res.clone().text()).toBe(200);
  return { cookie: cookieOf(res), 'x-csrf-token': ((await res.json()) as { csrfToken: string }).csrfToken };
}
async function registerKey(auth: Record<string, string>): Promise<SoftAuthenticator> {
  const o = await (await post('/auth/local/passkeys/register/options', undefined, auth)).json() as { challenge: string };
  const key = new SoftAuthenticator({ origin: BASE, rpId: RP_ID });
  const res = await post('/auth/local/passkeys/register/verify', { response: key.create(o.challenge) }, auth);
  expect(res.status, await res.clone().text()).toBe(200);
  return key;
}
const actorOf = (user: string) => `session:switchboard-local|${user}`;

describe('sign-in events', () => {
  it('a password sign-in: auth.signed-in with the method, role, practitioner, organisation, account and address, in the session\'s transaction', async () => {
    const from = await head();
    const user = await account('provider', 'north-clinic');
    await signedIn(user);
    const [e, ...rest] = await events(from);
    expect(rest).toEqual([]);
    expect(e).toMatchObject({
      actor: actorOf(user), actor_kind: 'user', action: 'C', type: 'auth.signed-in', entity_type: 'session',
      entity_ids: ['issuer:switchboard-local', 'role:provider', 'Practitioner/dr-ames', 'organization:north-clinic'], outcome: 'success', outcome_code: 'password', source: ADDRESS,
    });
  });

  it('the session and its event commit together: a session that fails to insert leaves no event', async () => {
    const from = await head();
    const user = await account();
    const person = personOf((await getLocalAccount(s.db.sql, user))!);
    await expect(a.accounts.recordSignIn(person, 'password', null, async (tx) => {
      await a.sessions.create(person, tx);
      throw new Error('store away');
    })).rejects.toThrow('store away');
    expect(await events(from)).toEqual([]);
    const [r] = await s.db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM auth_session WHERE subject = ${user}`;
    expect(r!.n).toBe(0);
  });

  it('refusals: the code only; an unknown name is a keyed hash, never the name typed', async () => {
    const from = await head();
    const user = await account();
    const typedName = 'Tr0ub4dor&3-typed-in-the-wrong-field';
    secrets.push(typedName, typedName.toLowerCase());
    expect((await post('/auth/local/login', { username: user, password: 'a wrong password entirely' })).status).toBe(401);
    expect((await post('/auth/local/login', { username: typedName, password: PASSWORD })).status).toBe(401);
    expect((await post('/auth/local/login', { username: typedName, password: PASSWORD })).status).toBe(401);
    await a.accounts.disable(user);
    expect((await post('/auth/local/login', { username: user, password: PASSWORD })).status).toBe(401);
    const refused = (await events(from)).filter((e) => e.type === 'auth.sign-in-refused');
    expect(refused.map((e) => [e.actor === actorOf(user) ? 'account' : e.actor, e.outcome_code])).toEqual([
      ['account', 'bad_password'], [expect.stringMatching(/^#[0-9a-f]{16}$/), 'unknown_user'], [expect.stringMatching(/^#[0-9a-f]{16}$/), 'unknown_user'], ['account', 'disabled'],
    ]);
    // the same typed name gives the same hash: repeated attempts at one name can be counted
    expect(refused[1]!.actor).toBe(refused[2]!.actor);
    for (const e of refused) expect(e).toMatchObject({ action: 'E', entity_type: 'session', entity_ids: ['method:password'], outcome: 'failure', source: ADDRESS });
  });

  it('TOTP refusals and lockouts are recorded by code', async () => {
    const from = await head();
    const user = await account();
    const uri = await a.accounts.enrollTotp(user);
    secrets.push(uri, new URL(uri).searchParams.get('secret')!);
    const wrong = generateHOTP(secretOf(uri), BigInt(Math.floor(s.clock.t / 30_000) + 7), 6);
    secrets.push(wrong);
    await post('/auth/local/login', { username: user, password: PASSWORD }, {}, '198.51.100.1');
    await post('/auth/local/login', { username: user, password: PASSWORD, totp: wrong }, {}, '198.51.100.1');
    for (let i = 0; i < 4; i++) await post('/auth/local/login', { username: user, password: 'not it at all ' + i }, {}, '198.51.100.1');
    const locked = await post('/auth/local/login', { username: user, password: PASSWORD }, {}, '198.51.100.1');
    expect(locked.status).toBe(429);
    const rows = await events(from);
    expect(rows.find((e) => e.type === 'auth.totp-enrolled')).toMatchObject({ actor: 'cli', actor_kind: 'cli', entity_ids: [user] });
    expect(rows.filter((e) => e.type === 'auth.sign-in-refused').map((e) => e.outcome_code)).toEqual(['totp_missing', 'totp_wrong', 'bad_password', 'bad_password', 'bad_password', 'locked', 'locked']);
  });

  it('a passkey sign-in, a refused passkey, registration and removal over HTTP', async () => {
    const user = await account();
    const auth = await signedIn(user);
    const from = await head();
    const key = await registerKey(auth);
    const second = await registerKey(auth);
    const list = await req('GET', '/auth/local/passkeys', undefined, { cookie: auth.cookie! });
    expect(list.status).toBe(200);
    const { passkeys } = await list.json() as { passkeys: { credentialId: string; createdAt: string; lastUsedAt: string | null }[] };
    expect(passkeys.map((p) => p.credentialId).sort()).toEqual([key.id, second.id].sort());
    expect(JSON.stringify(passkeys)).not.toMatch(/publicKey/);
    // removal needs the CSRF token; another's id, or a made-up one, is 404
    expect((await req('DELETE', `/auth/local/passkeys/${second.id}`, undefined, { cookie: auth.cookie! })).status).toBe(403);
    const other = await signedIn(await account());
    const notTheirs = await req('DELETE', `/auth/local/passkeys/${second.id}`, undefined, other);
    expect([notTheirs.status, await codeOf(notTheirs)]).toEqual([404, 'ERR_LOCAL_PASSKEY_UNKNOWN']);
    expect((await req('DELETE', `/auth/local/passkeys/${second.id}`, undefined, auth)).status).toBe(200);
    expect((await req('DELETE', `/auth/local/passkeys/${second.id}`, undefined, auth)).status).toBe(404);
    const after = await (await req('GET', '/auth/local/passkeys', undefined, { cookie: auth.cookie! })).json() as { passkeys: { credentialId: string }[] };
    expect(after.passkeys.map((p) => p.credentialId)).toEqual([key.id]);

    const options = async () => ((await (await post('/auth/local/passkeys/login/options')).json()) as { challenge: string }).challenge;
    expect((await post('/auth/local/passkeys/login/verify', { response: key.get(await options()) })).status).toBe(200);
    expect((await post('/auth/local/passkeys/login/verify', { response: second.get(await options()) })).status).toBe(401);
    const rows = (await events(from)).filter((e) => e.actor === actorOf(user) || e.type === 'auth.sign-in-refused');
    expect(rows.map((e) => [e.type, e.outcome_code])).toEqual([
      ['auth.passkey-registered', 'self'], ['auth.passkey-registered', 'self'], ['auth.passkey-removed', 'self'],
      ['auth.signed-in', 'passkey'], ['auth.sign-in-refused', 'unknown_passkey'],
    ]);
    expect(rows[0]).toMatchObject({ action: 'C', entity_type: 'local-account', entity_ids: [user, `passkey:${key.id}`], source: ADDRESS });
    expect(rows[2]).toMatchObject({ action: 'D', entity_ids: [user, `passkey:${second.id}`] });
    expect(rows[3]).toMatchObject({ entity_ids: ['issuer:switchboard-local', 'role:operator'] });
    expect(rows[4]).toMatchObject({ actor: 'unknown', entity_ids: ['method:passkey'], outcome: 'failure' });
  });

  it('sign-out, a password change (other sessions end), a TOTP enrolment by the person, and a disable', async () => {
    const user = await account();
    const first = await signedIn(user);
    const second = await signedIn(user);
    const third = await signedIn(user);
    const from = await head();
    expect((await post('/auth/logout', undefined, first)).status).toBe(200);
    const changed = await post('/auth/local/password', { currentPassword: PASSWORD, newPassword: 'a brand new passphrase 42' }, second);
    expect(changed.status).toBe(200);
    secrets.push('a brand new passphrase 42');
    expect((await post('/auth/local/password', { currentPassword: 'wrong current one', newPassword: 'another passphrase 43' }, second)).status).toBe(401);
    secrets.push('wrong current one', 'another passphrase 43');
    const enrol = await post('/auth/local/totp/enroll', { currentPassword: 'a brand new passphrase 42' }, second);
    const uri = ((await enrol.json()) as { otpauthUri: string }).otpauthUri;
    const code = generateHOTP(secretOf(uri), BigInt(Math.floor(s.clock.t / 30_000)), 6);
    secrets.push(uri, new URL(uri).searchParams.get('secret')!, code);
    expect((await post('/auth/local/totp/confirm', { totp: code }, second)).status).toBe(200);
    expect(await a.accounts.disable(user)).toBe(1);
    const rows = (await events(from)).filter((e) => e.entity_ids.includes(user) || e.actor === actorOf(user));
    expect(rows.map((e) => [e.type, e.actor_kind, e.outcome_code])).toEqual([
      ['auth.signed-out', 'user', 'logout'],
      ['auth.password-changed', 'user', 'self'],
      ['auth.sessions-revoked', 'user', 'password-changed'],
      ['auth.sign-in-refused', 'user', 'reauth_bad_password'],
      ['auth.totp-enrolled', 'user', 'enrolled'],
      ['auth.sessions-revoked', 'cli', 'disabled'],
    ]);
    expect(rows[0]).toMatchObject({ action: 'D', actor: actorOf(user), entity_type: 'session', source: ADDRESS });
    // the third session ended with the password change; the second (the one changing it) with the disable
    expect(rows[2]!.entity_ids).toEqual([user, 'sessions:1']);
    expect(rows[5]!.entity_ids).toEqual([user, 'sessions:1']);
    expect((await req('GET', '/auth/session', undefined, { cookie: third.cookie! })).status).toBe(401);
  });
});

describe('signing in again', () => {
  it('ends the browser\'s previous session with auth.signed-out (replaced), in the new sign-in\'s transaction', async () => {
    const user = await account();
    const first = await signedIn(user);
    const from = await head();
    const again = await post('/auth/local/login', { username: user, password: PASSWORD }, { cookie: first.cookie! });
    expect(again.status).toBe(200);
    expect((await req('GET', '/auth/session', undefined, { cookie: first.cookie! })).status).toBe(401);
    expect((await events(from)).map((e) => [e.type, e.actor, e.outcome_code])).toEqual([
      ['auth.signed-out', actorOf(user), 'replaced'], ['auth.signed-in', actorOf(user), 'password'],
    ]);
  });
});

describe('a disabled account\'s session', () => {
  it('is refused at its next request even when it was made while the account was being disabled', async () => {
    const user = await account();
    const auth = await signedIn(user);
    expect((await req('GET', '/auth/session', undefined, { cookie: auth.cookie! })).status).toBe(200);
    // the race: the account is disabled without its sessions being ended (as when a sign-in checked the
    // account, the disable ended the sessions, and then the sign-in's session was stored)
    await s.db.sql`UPDATE auth_local_account SET disabled = true WHERE username = ${user}`;
    const refused = await req('GET', '/auth/session', undefined, { cookie: auth.cookie! });
    expect([refused.status, await codeOf(refused)]).toEqual([401, 'ERR_SESSION_REVOKED']);
    expect((await req('GET', '/me/messages', undefined, { cookie: auth.cookie! })).status).toBe(401);
    // enabled again, the session (never revoked) works again: the flag is read at every lookup
    await s.db.sql`UPDATE auth_local_account SET disabled = false WHERE username = ${user}`;
    expect((await req('GET', '/auth/session', undefined, { cookie: auth.cookie! })).status).toBe(200);
  });
});

describe('passkey sign-in options', () => {
  it(`are limited to ${OPTIONS_PER_ADDRESS} a window per address, then 429 with Retry-After until the window ends`, async () => {
    const address = '203.0.113.9';
    for (let i = 0; i < OPTIONS_PER_ADDRESS; i++) expect((await post('/auth/local/passkeys/login/options', undefined, {}, address)).status).toBe(200);
    const limited = await post('/auth/local/passkeys/login/options', undefined, {}, address);
    expect([limited.status, await codeOf(limited)]).toEqual([429, 'ERR_LOCAL_LOCKED']);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    // another address is not held back
    expect((await post('/auth/local/passkeys/login/options', undefined, {}, '203.0.113.10')).status).toBe(200);
    s.clock.t += OPTIONS_WINDOW_MS;
    expect((await post('/auth/local/passkeys/login/options', undefined, {}, address)).status).toBe(200);
  });

  it('expired challenges and day-old unlocked throttle counts are purged when a session is made', async () => {
    await post('/auth/local/passkeys/login/options', undefined, {}, '203.0.113.20');
    await post('/auth/local/login', { username: 'nobody-at-all', password: 'x' }, {}, '203.0.113.21');
    s.clock.t += 25 * 3_600_000;
    const user = await account();
    await signedIn(user);
    const [c] = await s.db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM auth_local_challenge WHERE expires_at < ${new Date(s.clock.t)}`;
    const [t] = await s.db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM auth_local_throttle WHERE last_failure_at < ${new Date(s.clock.t - 86_400_000)}`;
    expect([c!.n, t!.n]).toEqual([0, 0]);
  });
});

describe('the trail', () => {
  it('verifies, and no audit row holds a password, code, secret, cookie or mistyped name', async () => {
    await sealAll(s.db.sql);
    const report = await verifyAuditChain(s.db.sql, { keys: [] });
    expect(report.ok).toBe(true);
    expect(report.checked).toBeGreaterThan(20);
    const rows = await s.db.sql<{ row: string }[]>`SELECT row_to_json(e)::text AS row FROM audit_event e`;
    const all = rows.map((r) => r.row).join('\n').toLowerCase();
    for (const secret of secrets) expect(all).not.toContain(secret.toLowerCase());
    expect(all).not.toMatch(/sb_session=|__host-/);
    const types = new Set((await s.db.sql<{ type: string }[]>`SELECT DISTINCT type FROM audit_event WHERE type LIKE 'auth.%'`).map((r) => r.type));
    // exported as FHIR AuditEvents of DICOM type 110114 User Authentication; a refusal is a minor failure (4)
    const exported = (await searchAudit(s.db.sql, { limit: 500 })).filter((r) => r.type.startsWith('auth.')).map((r) => toAuditEvent(r));
    expect(new Set(exported.map((e) => e.type.code))).toEqual(new Set(['110114']));
    expect(new Set(exported.filter((e) => e.subtype?.some((c) => c.code === 'auth.sign-in-refused')).map((e) => e.outcome))).toEqual(new Set(['4']));
    expect([...types].sort()).toEqual([
      'auth.passkey-registered', 'auth.passkey-removed', 'auth.password-changed', 'auth.sessions-revoked', 'auth.sign-in-refused',
      'auth.signed-in', 'auth.signed-out', 'auth.totp-enrolled',
    ]);
  });
});
