// The gateway as started from settings (OIDC_* and SESSION_*): sign-in end to end over its real HTTP
// listener against the in-process OpenID provider, and a bad role map stopping the start.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { startGateway, type Gateway } from '../../src/gateway.js';
import { silentLogger } from '../../src/obs/log.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { CLIENT_ID, CLIENT_SECRET, startIdp, throughIdp, type TestIdp } from './idp.js';

const REDIRECT = 'https://sb.example/auth/callback';
let db: TestDatabase;
let idp: TestIdp;
let gw: Gateway | undefined;

// one data folder for the file's gateways: its PHI key file is the one their database was sealed with
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sb-signin-gw-'));
const settings = (extra: Record<string, string> = {}) => loadConfig({
  DATABASE_URL: db.url, DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', MLLP_PORT: '0', MLLP_HOST: '127.0.0.1',
  PUBLIC_BASE_URL: 'https://sb.example', WORKER_CONCURRENCY: '1',
  OIDC_ISSUER: idp.issuer, OIDC_CLIENT_ID: CLIENT_ID, OIDC_CLIENT_SECRET: CLIENT_SECRET, OIDC_SCOPES: 'openid switchboard',
  OIDC_ROLE_MAP: '{"sb-operators": "operator"}', SESSION_IDLE_MINUTES: '5', SESSION_MAX_HOURS: '2',
  ...extra,
});

beforeAll(async () => {
  db = await createTestDatabase();
  idp = await startIdp(REDIRECT, { otto: { groups: ['sb-operators'] }, nora: { groups: ['sb-operators'], organization: 'north' } });
}, 60_000);

afterAll(async () => {
  await gw?.close();
  await idp?.close();
  await db?.drop();
});

it('signs an operator in through the gateway started from its settings, and serves the API to the cookie', async () => {
  gw = await startGateway(settings(), silentLogger, { worker: false });
  const base = `http://127.0.0.1:${gw.httpPort}`;
  const login = await fetch(`${base}/auth/login?returnTo=/inbox`, { redirect: 'manual' });
  expect(login.status).toBe(302);
  const location = login.headers.get('location')!;
  expect(location.startsWith(`${idp.issuer}/`)).toBe(true);
  const params = new URL(location).searchParams;
  expect(params.get('code_challenge_method')).toBe('S256');
  expect(params.get('redirect_uri')).toBe(REDIRECT);
  const loginCookie = login.headers.getSetCookie().find((c) => c.startsWith('__Host-sb_login='))!.split(';')[0]!;

  idp.account = 'otto';
  const back = await throughIdp(location, REDIRECT);
  const cb = await fetch(`${base}/auth/callback${back.search}`, { redirect: 'manual', headers: { cookie: loginCookie } });
  expect(cb.status, await cb.clone().text()).toBe(302);
  expect(cb.headers.get('location')).toBe('/inbox');
  const line = cb.headers.getSetCookie().find((c) => c.startsWith('__Host-sb_session='))!;
  expect(line).toContain('; Max-Age=7200');
  const cookie = line.split(';')[0]!;

  const me = await (await fetch(`${base}/auth/session`, { headers: { cookie } })).json() as Record<string, string>;
  expect(me).toMatchObject({ role: 'operator', person: { issuer: idp.issuer, subject: 'otto' } });
  expect(Date.parse(me.idleExpiresAt!) - Date.parse(me.createdAt!)).toBe(5 * 60_000);
  expect((await fetch(`${base}/inbox`, { headers: { cookie } })).status).toBe(200);
  expect((await fetch(`${base}/inbox`)).status).toBe(401);
});

it('refuses to start with a role map naming an unknown role', async () => {
  await expect(startGateway(settings({ OIDC_ROLE_MAP: '{"x": "root"}' }), silentLogger, { worker: false })).rejects.toThrow(/OIDC_ROLE_MAP/);
});

/** Signs `account` in at the gateway; the session cookie, or the callback's refusal. */
async function signIn(base: string, account: string): Promise<{ cookie?: string; refused?: Response }> {
  const login = await fetch(`${base}/auth/login`, { redirect: 'manual' });
  const loginCookie = login.headers.getSetCookie().find((c) => c.startsWith('__Host-sb_login='))!.split(';')[0]!;
  idp.account = account;
  const back = await throughIdp(login.headers.get('location')!, REDIRECT);
  const cb = await fetch(`${base}/auth/callback${back.search}`, { redirect: 'manual', headers: { cookie: loginCookie } });
  if (cb.status !== 302) return { refused: cb };
  return { cookie: cb.headers.getSetCookie().find((c) => c.startsWith('__Host-sb_session='))!.split(';')[0]! };
}

it('OIDC_ORGANIZATION_CLAIM: an operator acts for the organisation the ID token names, and one without it gets no session', async () => {
  await gw?.close();
  gw = await startGateway(settings({ OIDC_ORGANIZATION_CLAIM: 'organization' }), silentLogger, { worker: false });
  const base = `http://127.0.0.1:${gw.httpPort}`;
  const [row] = await db.sql<{ id: string }[]>`
    INSERT INTO inbox (source, sender_app, sender_facility, control_id, message_type, raw, organization)
    VALUES ('mllp', 'LAB', 'SOUTH', 'SIGNIN-ORG-1', 'ADT^A01', ${Buffer.from('MSH|x')}, 'south') RETURNING id::text`;

  const nora = await signIn(base, 'nora');
  expect(nora.cookie).toBeDefined();
  const me = await (await fetch(`${base}/auth/session`, { headers: { cookie: nora.cookie! } })).json() as Record<string, string>;
  expect(me).toMatchObject({ role: 'operator', organization: 'north' });
  // another organisation's row: as unknown as a missing one, and not in the list
  expect((await fetch(`${base}/inbox/${row!.id}`, { headers: { cookie: nora.cookie! } })).status).toBe(404);
  const list = await (await fetch(`${base}/inbox`, { headers: { cookie: nora.cookie! } })).json() as { id: string }[];
  expect(list.map((r) => r.id)).not.toContain(row!.id);

  const otto = await signIn(base, 'otto');
  expect(otto.refused?.status).toBe(403);
  expect(await otto.refused!.text()).toContain('ERR_SESSION_NO_ORGANIZATION');
});
