// The gateway as started from settings with local sign-in (LOCAL_AUTH) and no identity provider:
// over its real HTTP listener an account made with the DATA_DIR's key signs in, the cookie serves the
// API, logout works without an IdP, and OpenID Connect's routes answer 404; with an external database
// and LOCAL_AUTH unset, local sign-in is off.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, afterEach, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { startGateway, type Gateway } from '../../src/gateway.js';
import { silentLogger } from '../../src/obs/log.js';
import { LocalAccounts, loadOrCreateSecretKey } from '../../src/auth/index.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { TEST_PHI_KEYS } from '../support/phi-keys.js';

let db: TestDatabase;
let gw: Gateway | undefined;
const PASSWORD = 'a gateway passphrase';

const settings = (dataDir: string, extra: Record<string, string> = {}) => loadConfig({
  DATABASE_URL: db.url, DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', MLLP_PORT: '0', MLLP_HOST: '127.0.0.1',
  // a machine shared by parallel suites can stall the store's 500 ms ping, which answers 503 until the next one
  WORKER_CONCURRENCY: '1', STORE_PING_TIMEOUT_MS: '10000',
  // both gateways open one database: the same PHI keys, whatever their data folders
  PHI_KEYS: TEST_PHI_KEYS, ...extra,
});

beforeAll(async () => { db = await createTestDatabase(); }, 60_000);
afterEach(async () => { await gw?.close(); gw = undefined; });
afterAll(async () => { await db?.drop(); });

const loginBody = JSON.stringify({ username: 'otto', password: PASSWORD });

it('LOCAL_AUTH=on without an IdP: sign in, use the API, sign out; the OIDC routes are 404', async () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sb-local-gw-'));
  await new LocalAccounts({ sql: db.sql, secretKey: loadOrCreateSecretKey(dataDir) }).add({ username: 'otto', role: 'operator', password: PASSWORD });
  gw = await startGateway(settings(dataDir, { LOCAL_AUTH: 'on' }), silentLogger, { worker: false });
  const base = `http://127.0.0.1:${gw.httpPort}`;
  const res = await fetch(`${base}/auth/local/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: loginBody });
  expect(res.status, await res.clone().text()).toBe(200);
  // served over plain HTTP: the cookie cannot be Secure, so it is not __Host- named
  const line = res.headers.getSetCookie().find((c) => c.startsWith('sb_session='))!;
  expect(line).toMatch(/HttpOnly/);
  const cookie = line.split(';')[0]!;
  const { csrfToken } = await res.json() as { csrfToken: string };
  expect((await fetch(`${base}/inbox`, { headers: { cookie } })).status).toBe(200);
  expect((await fetch(`${base}/auth/login`, { redirect: 'manual' })).status).toBe(404);
  const out = await fetch(`${base}/auth/logout`, { method: 'POST', headers: { cookie, 'x-csrf-token': csrfToken } });
  expect(await out.json()).toEqual({ status: 'signed-out' });
  expect((await fetch(`${base}/inbox`, { headers: { cookie } })).status).toBe(401);
});

it('an external database without LOCAL_AUTH: no local sign-in (404)', async () => {
  gw = await startGateway(settings(mkdtempSync(path.join(os.tmpdir(), 'sb-local-gw-'))), silentLogger, { worker: false });
  const res = await fetch(`http://127.0.0.1:${gw.httpPort}/auth/local/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: loginBody });
  expect(res.status).toBe(404);
});
