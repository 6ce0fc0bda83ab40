// The route table (src/http/routes.ts) against the routes the composed app really has: every route a
// sub-app registers has its row (else the gate answers 404 and the route is dead), every row has its
// route, and the matcher reads patterns as written.
import { describe, expect, it } from 'vitest';
import { createApp, matchRoute, routeTable } from '../../src/http/index.js';
import { silentLogger } from '../../src/obs/log.js';
import { DEFAULT_SCHEDULE_LIMITS } from '../../src/oncall/index.js';

const table = routeTable({ maxHl7Bytes: 1024, maxCallBytes: 1024 });

// nothing is called while routes are registered: the dependencies are never touched here
const app = createApp({
  sql: {} as never, intake: {} as never, writer: {} as never, metrics: {} as never, log: silentLogger, verifier: null,
  maxHl7Bytes: 1024, schedules: { limits: DEFAULT_SCHEDULE_LIMITS, jobs: {} } as never, publicBaseUrl: 'https://sb.example', hsts: true,
  delivery: { o: { sql: {} } } as never,
  signIn: { sql: {} as never, sessions: {} as never, oidc: {} as never, mapping: {} as never, secure: true, cookieName: '__Host-sb_session' },
  localSignIn: { accounts: {} as never, sessions: {} as never, passkeys: {} as never, secure: true, cookieName: '__Host-sb_session' },
});

describe('the route table covers the app', () => {
  const handlers = app.routes.filter((r) => r.method !== 'ALL');
  it('has routes to check', () => {
    expect(handlers.length).toBeGreaterThan(15);
  });
  it.each(handlers.map((r) => [r.method, r.path] as const))('%s %s has a row', (method, path) => {
    const concrete = path.replace(/:[^/]+/g, 'x').replace(/\*$/, 'x');
    expect(matchRoute(table, method, concrete)?.rule.method).toBe(method);
  });
  it.each(table.map((r) => [r.method, r.path] as const))('row %s %s has a route', (method, path) => {
    expect(handlers.some((h) => h.method === method && h.path === path)).toBe(true);
  });
});

describe('matchRoute', () => {
  it.each([
    ['GET', '/fhir/metadata', '/fhir/metadata', 'public'],
    ['GET', '/fhir/Patient/p1', '/fhir/:type/:id', 'fhir'],
    ['HEAD', '/fhir/Patient', '/fhir/:type', 'fhir'],
    ['GET', '/schedule/roles/ob', '/schedule/:collection/:id', 'operation'],
    ['DELETE', '/schedule/roles/ob', '/schedule/:collection/:id', 'operation'],
    ['GET', '/schedule/lint', '/schedule/lint', 'operation'],
    ['POST', '/inbox/7/retry', '/inbox/:id/retry', 'operation'],
    ['GET', '/openapi.json', '/openapi.json', 'public'],
  ])('%s %s -> %s (%s)', (method, path, pattern, kind) => {
    const m = matchRoute(table, method, path);
    expect(m?.rule.path).toBe(pattern);
    expect(m?.rule.access.kind).toBe(kind);
  });

  it.each([
    ['GET', '/inbox/'], ['GET', '/inbox//retry'], ['DELETE', '/inbox'], ['GET', '/fhir'], ['GET', '/fhir/'], ['GET', '/fhir/Patient/1/_history'],
    ['POST', '/fhir/Patient'], ['PATCH', '/schedule'], ['GET', '/schedule/'], ['GET', 'inbox'], ['GET', '/hl7'], ['GET', '/nope'],
    ['POST', '/schedule/lint'], ['GET', '/schedule/roles'], ['GET', '/schedule/roles/ob/x'], ['GET', '/.well-known/jwks.json'],
  ])('%s %s has no row (404 before anything runs)', (method, path) => {
    expect(matchRoute(table, method, path)).toBeUndefined();
  });

  it('the params are the path segments', () => {
    expect(matchRoute(table, 'GET', '/fhir/Observation/ob-1')?.params).toEqual({ type: 'Observation', id: 'ob-1' });
  });
});
