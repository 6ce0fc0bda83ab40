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
  idp = await startIdp(REDIRECT, { otto: { groups: ['sb-operators'] } });
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
