// The on-call HTTP API under random requests (paths, methods, query values including NULs, dates that
// do not exist, huge strings; random JSON bodies): every answer is a 2xx or 4xx, never a 5xx.
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { Hono } from 'hono';
import type { AuthEnv } from '../../src/auth/middleware.js';
import { createOncallApp, ScheduleService } from '../../src/oncall/index.js';
import { onError } from '../../src/http/error-response.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { example, NOW } from '../oncall/support.js';
let db: TestDatabase;
let app: Hono<AuthEnv>;
beforeAll(async () => {
  db = await createTestDatabase();
  const service = new ScheduleService({ sql: db.sql });
  app = new Hono<AuthEnv>();
  app.onError(onError);
  app.use('*', async (c, next) => { c.set('auth', { subject: 't', issuer: 't', scopes: ['oncall.read', 'oncall.write'] }); await next(); });
  app.route('/', createOncallApp({ sql: db.sql, service, now: () => NOW }));
  const seeded = await app.request('/schedule', { method: 'PUT', body: JSON.stringify(example()), headers: { 'content-type': 'application/json' } });
  expect(seeded.status).toBe(200);
});
afterAll(async () => { await db.drop(); });
const v = fc.oneof(fc.string({ maxLength: 15 }), fc.string({ unit: 'binary', maxLength: 15 }), fc.constantFrom('ob-oncall', 'cardio-oncall', '2025-03-12T23:30:00-04:00', '2025-03-09T02:30:00', '2025-02-30', '9999-12-31', '0000-01-01', '-1', '1e400', 'now', 'P1D', '2025-03-01', '2025-12-31', '%00', '\u0000', 'x'.repeat(2000)));
const paths = ['/oncall', '/oncall/next', '/oncall/coverage', '/schedule', '/schedule/lint', '/schedule/roles/ob-oncall', '/schedule/practitioners/dr-chen', '/schedule/overrides/x', '/schedule/nope/x'];
const names = ['role', 'at', 'from', 'to', 'days', 'zone', 'service', 'x', 'mapping'];
it('property: random requests to the on-call API never get a 5xx', async () => {
  const bad: string[] = [];
  const types = fc.constantFrom('application/json', 'application/json; charset=utf-8', 'application/yaml', 'text/plain', 'text/calendar', '');
  await fc.assert(fc.asyncProperty(fc.constantFrom(...paths), fc.array(fc.tuple(fc.constantFrom(...names), v), { maxLength: 4 }), fc.constantFrom('GET', 'DELETE', 'PUT', 'POST'), fc.option(fc.oneof(fc.json(), fc.string()), { nil: undefined }), types, async (p, q, method, body, type) => {
    const url = `${p}?${new URLSearchParams(q).toString()}`;
    const res = await app.request(url, { method, ...(method === 'PUT' || method === 'POST' ? { body: body ?? '{}', headers: type === '' ? {} : { 'content-type': type } } : {}) });
    if (res.status >= 500) bad.push(`${res.status} ${method} ${url.slice(0, 150)} ${JSON.stringify(body ?? '').slice(0, 150)} ${(await res.text()).slice(0, 150)}`);
  }), { numRuns: 400 });
  expect(bad).toEqual([]);
}, 600_000);
