// A webhook contact's secret is a credential: the schedule API and `schedule show` never return it,
// and a document read back and saved unchanged is refused (naming each secret), never stored with
// the placeholder as its key.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Hono } from 'hono';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { authenticate, type AuthEnv } from '../../src/auth/index.js';
import { createOncallApp, loadSchedule, saveSchedule, ScheduleService } from '../../src/oncall/index.js';
import { createOnError } from '../../src/http/error-response.js';
import { SECRET, testSchedule } from './support.js';

let db: TestDatabase;
let app: Hono<AuthEnv>;

beforeAll(async () => {
  db = await createTestDatabase();
  expect((await saveSchedule(db.sql, testSchedule('https://hooks.example'), { by: 'test', now: new Date(), fhirView: false })).ok).toBe(true);
  app = new Hono<AuthEnv>();
  app.onError(createOnError());
  app.use('*', async (c, next) => { c.set('auth', await authenticate(undefined, null)); await next(); });
  app.route('/', createOncallApp({ sql: db.sql, service: new ScheduleService({ sql: db.sql }) }));
});
afterAll(async () => { await db.drop(); });

describe('webhook secrets', () => {
  it('are never returned by GET /schedule or GET /schedule/practitioners/:id', async () => {
    const whole = await (await app.request('/schedule')).text();
    const one = await (await app.request('/schedule/practitioners/dr-ames')).text();
    expect(whole).not.toContain(SECRET);
    expect(one).not.toContain(SECRET);
    expect(whole).toContain('"kind":"webhook"');
    expect(JSON.parse(one)).toMatchObject({ channels: [{ kind: 'webhook', address: 'https://hooks.example/ames', secret: '(not shown: send the whsec_ value)' }] });
  });

  it('a document saved back unchanged is refused, naming each secret; the stored secret stays', async () => {
    const body = await (await app.request('/schedule')).text();
    const res = await app.request('/schedule', { method: 'PUT', body, headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(400);
    const text = await res.text();
    expect(text).toContain('practitioners[0].channels[0].secret');
    const stored = await loadSchedule(db.sql);
    expect(stored!.schedule.practitioners[0]!.channels[0]!.secret).toBe(SECRET);
  });
});
