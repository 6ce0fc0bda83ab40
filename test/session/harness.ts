// The whole HTTP app in process with sign-in mounted (src/auth/session-app.ts) over a test database, delivery
// mounted for the /me routes, a real OpenID provider (idp.ts) and an injected session clock.
import { appendAudit } from '../../src/audit/index.js';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import { createApp } from '../../src/http/index.js';
import { Hl7Intake, InboxWriter } from '../../src/ingest/index.js';
import { createMetrics } from '../../src/obs/index.js';
import { silentLogger } from '../../src/obs/log.js';
import { loadOrCreateLocalKey, mintLocalToken, TokenVerifier } from '../../src/auth/index.js';
import { PROVIDER_SCOPE, type DeliveryService } from '../../src/delivery/index.js';
import type { ScheduleService } from '../../src/oncall/index.js';
import { OidcRelyingParty, SessionManager, cookieNames, parseRoleMap } from '../../src/auth/index.js';
import type { TestDatabase } from '../support/db.js';
import { CLIENT_ID, CLIENT_SECRET, throughIdp, type TestIdp } from './idp.js';

export const ROLE_MAP = parseRoleMap(JSON.stringify({ 'sb-providers': 'provider', 'sb-operators': 'operator', 'sb-supervisors': 'supervisor', 'sb-admins': 'admin' }));

export interface SignInApp {
  app: ReturnType<typeof createApp>;
  base: string;
  redirectUri: string;
  cookieName: string;
  bearer(practitioner: string): Promise<string>;
}

export interface Shared {
  db: TestDatabase;
  idp: TestIdp;
  delivery: { service: DeliveryService; schedules: ScheduleService };
  /** the session clock, ms */
  clock: { t: number };
}

export const IDLE_MS = 15 * 60_000;
export const MAX_MS = 60 * 60_000;

export async function buildSignInApp(s: Shared, o: { secure?: boolean } = {}): Promise<SignInApp> {
  const secure = o.secure ?? true;
  const base = secure ? 'https://sb.example' : 'http://sb.example';
  const redirectUri = 'https://sb.example/auth/callback';
  const metrics = createMetrics();
  const writer = new InboxWriter(s.db.sql, { maxBatch: 64 });
  const intake = new Hl7Intake({ sql: s.db.sql, writer, metrics, log: silentLogger, appName: 'SWITCHBOARD' });
  const key = await loadOrCreateLocalKey(mkdtempSync(path.join(os.tmpdir(), 'sb-session-')));
  const verifier = new TokenVerifier({ localKey: key, audience: 'switchboard' });
  const now = () => new Date(s.clock.t);
  const sessions = new SessionManager({ sql: s.db.sql, idleMs: IDLE_MS, maxMs: MAX_MS, now });
  const oidc = new OidcRelyingParty({ issuer: s.idp.issuer, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUri, scopes: 'openid switchboard' });
  const cookieName = cookieNames(secure).session;
  const app = createApp({
    sql: s.db.sql, intake, writer, metrics, log: silentLogger, verifier, maxHl7Bytes: 64 * 1024, schedules: s.delivery.schedules,
    publicBaseUrl: base, hsts: secure, delivery: s.delivery.service,
    signIn: { sql: s.db.sql, sessions, oidc, secure, now, cookieName, audit: appendAudit, mapping: { practitionerClaim: 'fhirUser', rolesClaim: 'groups', roleMap: ROLE_MAP } },
  });
  return {
    app, base, redirectUri, cookieName,
    bearer: (p) => mintLocalToken(key, { scopes: [PROVIDER_SCOPE], subject: p, audience: 'switchboard' }),
  };
}

/** The Set-Cookie line for `name` in a response. */
export function setCookieLine(res: Response, name: string): string | undefined {
  return res.headers.getSetCookie().find((c) => c.startsWith(`${name}=`));
}

export const cookieValue = (line: string | undefined): string => (line ?? '').split(';')[0]!.split('=').slice(1).join('=');

/** GET /auth/login: the IdP's authorization URL and the sign-in cookie (`name=value`). */
export async function startLogin(a: SignInApp, returnTo?: string): Promise<{ authorizationUrl: string; loginCookie: string; res: Response }> {
  const res = await a.app.request(`${a.base}/auth/login${returnTo === undefined ? '' : `?returnTo=${encodeURIComponent(returnTo)}`}`);
  expect(res.status, await res.clone().text()).toBe(302);
  const line = setCookieLine(res, cookieNames(a.base.startsWith('https')).login);
  expect(line).toBeDefined();
  return { authorizationUrl: res.headers.get('location')!, loginCookie: line!.split(';')[0]!, res };
}

/** The callback request the browser makes when the IdP sends it back. */
export function callback(a: SignInApp, url: URL, loginCookie?: string, sessionCookie?: string): Promise<Response> {
  const cookie = [loginCookie, sessionCookie].filter(Boolean).join('; ');
  return Promise.resolve(a.app.request(`${a.base}/auth/callback${url.search}`, { headers: cookie ? { cookie } : {} }));
}

/** The whole flow for `account`; the callback's response and the session cookie's value. */
export async function signIn(a: SignInApp, idp: TestIdp, account: string, returnTo?: string, sessionCookie?: string): Promise<{ res: Response; token: string; cookie: string }> {
  idp.account = account;
  const { authorizationUrl, loginCookie } = await startLogin(a, returnTo);
  const back = await throughIdp(authorizationUrl, a.redirectUri);
  const res = await callback(a, back, loginCookie, sessionCookie);
  const token = cookieValue(setCookieLine(res, a.cookieName));
  return { res, token, cookie: `${a.cookieName}=${token}` };
}
