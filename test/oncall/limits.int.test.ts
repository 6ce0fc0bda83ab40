// Hostile schedule input over HTTP, answered with a clear 4xx naming the problem or the limit, never a
// 500, with the checks and the feed expansion in the worker thread (WorkerJobs) as the gateway runs them.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Hono } from 'hono';
import type { AuthEnv } from '../../src/auth/middleware.js';
import { createOncallApp, DEFAULT_SCHEDULE_LIMITS, ScheduleService, WorkerJobs, type ScheduleLimits } from '../../src/oncall/index.js';
import { onError } from '../../src/http/error-response.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { example, NOW } from './support.js';

let db: TestDatabase;
let jobs: WorkerJobs;

const appWith = (limits: ScheduleLimits, workerJobs: WorkerJobs, loadJobs?: WorkerJobs) => {
  const service = new ScheduleService({ sql: db.sql, jobs: workerJobs, limits, ...(loadJobs === undefined ? {} : { loadJobs }) });
  const app = new Hono<AuthEnv>();
  app.onError(onError);
  app.use('*', async (c, next) => {
    c.set('auth', { subject: 'tester', issuer: 'test', scopes: ['oncall.read', 'oncall.write'] });
    await next();
  });
  app.route('/', createOncallApp({ sql: db.sql, service, now: () => NOW }));
  return app;
};

let app: Hono<AuthEnv>;
beforeAll(async () => {
  db = await createTestDatabase();
  jobs = new WorkerJobs({ timeoutMs: 60_000 });
  app = appWith({ ...DEFAULT_SCHEDULE_LIMITS, jobTimeoutMs: 60_000 }, jobs);
});
afterAll(async () => {
  await jobs.close();
  await db.drop();
});
beforeEach(async () => {
  await db.sql`DELETE FROM schedule_document`;
});

/** `type` null: no Content-Type at all (a byte body, so fetch adds none). */
const put = (path: string, body: string, type: string | null = 'application/json') =>
  app.request(path, { method: 'PUT', ...(type === null ? { body: new TextEncoder().encode(body) } : { body, headers: { 'content-type': type } }) });
const outcome = async (res: Response) => (await res.json()) as { issue: { code: string; diagnostics: string; expression?: string[] }[] };
const seed = async () => expect((await put('/schedule', JSON.stringify(example()))).status).toBe(200);

/** 50 events, each hourly for a year: 10-12 KB of text that used to become ~250,000 shifts. */
const hourlyFeed = (): string => {
  const lines = ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//hostile//EN'];
  for (let i = 0; i < 50; i++) {
    lines.push('BEGIN:VEVENT', `UID:ev${i}@x.example`, 'SUMMARY:OB call', 'CATEGORIES:OB-CALL', 'ATTENDEE;CN=Dr A:mailto:avery.a@clinic.example',
      `DTSTART;TZID=America/New_York:20250101T${String(i % 24).padStart(2, '0')}0000`, `DTEND;TZID=America/New_York:20250101T${String(i % 24).padStart(2, '0')}3000`,
      'RRULE:FREQ=HOURLY;UNTIL=20251231T000000Z', 'END:VEVENT');
  }
  lines.push('END:VCALENDAR');
  return lines.join('\r\n');
};
const MAPPING = encodeURIComponent(JSON.stringify({ rules: [{ categories: 'OB-CALL', role: 'ob-oncall' }], practitioner: { from: 'attendee', map: { 'avery.a@clinic.example': 'dr-alvarez' } } }));

describe('request bodies', () => {
  it.each([
    ['PUT /schedule as text/plain', '/schedule', 'text/plain'],
    ['PUT /schedule without a content type', '/schedule', null],
    ['PUT /schedule as text/calendar', '/schedule', 'text/calendar'],
    ['PUT an item as application/yaml', '/schedule/practitioners/dr-x', 'application/yaml'],
  ])('%s -> 415', async (_what, path, type) => {
    await seed();
    const res = await put(path, JSON.stringify({ id: 'dr-x', name: 'X' }), type);
    expect(res.status).toBe(415);
  });

  it.each([
    ['PUT /schedule', '/schedule'],
    ['PUT /schedule/practitioners/:id', '/schedule/practitioners/dr-x'],
  ])('%s with JSON nested 50,000 deep -> 400 ERR_SCHEDULE_TOO_COMPLEX', async (_what, path) => {
    await seed();
    const res = await put(path, `${'['.repeat(50_000)}${']'.repeat(50_000)}`);
    expect(res.status).toBe(400);
    expect((await outcome(res)).issue[0]?.diagnostics).toContain('ERR_SCHEDULE_TOO_COMPLEX');
  });

  it('PUT /schedule with a 520-byte YAML alias bomb -> 400 naming the alias limit', async () => {
    const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (const [i, name] of ['b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'].entries()) {
      const prev = String.fromCharCode(97 + i);
      lines.push(`${name}: &${name} [*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev}]`);
    }
    const res = await put('/schedule', lines.join('\n'), 'application/yaml');
    expect(res.status).toBe(400);
    expect((await outcome(res)).issue[0]?.diagnostics).toMatch(/ERR_SCHEDULE_TOO_COMPLEX.*aliases/);
  });

  it('a JSON syntax error is a 400 that does not quote the body', async () => {
    const res = await put('/schedule', '{"version": 1, "timeZone": SECRET');
    expect(res.status).toBe(400);
    expect(JSON.stringify(await outcome(res))).not.toContain('SECRET');
  });
});

describe('the stored size limit applies to what every change produces', () => {
  let small: Hono<AuthEnv>;
  beforeAll(() => {
    small = appWith({ ...DEFAULT_SCHEDULE_LIMITS, maxBytes: 12_000 }, jobs);
  });

  it('item edits cannot grow the document past SCHEDULE_MAX_BYTES one by one (413)', async () => {
    expect((await small.request('/schedule', { method: 'PUT', body: JSON.stringify(example()), headers: { 'content-type': 'application/json' } })).status).toBe(200);
    let status = 0;
    for (let i = 0; i < 40 && status !== 413; i++) {
      const res = await small.request(`/schedule/practitioners/dr-${i}`, { method: 'PUT', body: JSON.stringify({ name: `Dr ${'x'.repeat(400)}` }), headers: { 'content-type': 'application/json' } });
      status = res.status;
      if (status === 413) expect((await outcome(res)).issue[0]?.diagnostics).toMatch(/ERR_SCHEDULE_TOO_LARGE.*SCHEDULE_MAX_BYTES/);
      else expect(status).toBe(201);
    }
    expect(status).toBe(413);
  });
});

describe('iCalendar import of a hostile feed (worker thread)', () => {
  it('the hourly feed is refused with a 422 naming the occurrence limit; the stored schedule is unchanged', async () => {
    await seed();
    const res = await app.request(`/schedule/import?mapping=${MAPPING}&from=2025-01-01&to=2026-01-01`, { method: 'POST', body: hourlyFeed(), headers: { 'content-type': 'text/calendar' } });
    expect(res.status).toBe(422);
    expect((await outcome(res)).issue[0]?.diagnostics).toMatch(/ERR_ICAL_TOO_MANY_OCCURRENCES.*SCHEDULE_IMPORT_MAX_OCCURRENCES/);
    const stored = await app.request('/schedule');
    expect(stored.headers.get('etag')).toBe('W/"1"');
  });

  it('while the worker expands the feed, this thread keeps answering, and reloads (their own worker, as in the gateway) do not wait behind it', async () => {
    await seed();
    const loads = new WorkerJobs({ timeoutMs: 60_000 });
    try {
      const wide = appWith({ ...DEFAULT_SCHEDULE_LIMITS, maxImportOccurrences: 100_000 }, jobs, loads);
      const order: string[] = [];
      const importing = Promise.resolve(
        wide.request(`/schedule/import?mapping=${MAPPING}&from=2025-01-01&to=2026-01-01`, { method: 'POST', body: hourlyFeed(), headers: { 'content-type': 'text/calendar' } }),
      ).then((r: Response) => {
        order.push('import');
        return r;
      });
      // give the import a head start into the worker, then ask something of this thread
      await new Promise((r) => setTimeout(r, 50));
      const asked = await wide.request('/oncall?role=ob-oncall&at=2025-03-04T10:00');
      order.push('oncall');
      expect(asked.status).toBe(200);
      const imported = await importing;
      expect(order).toEqual(['oncall', 'import']);
      expect(imported.status).toBe(422); // 100,000 occurrences expanded, then refused
    } finally {
      await loads.close();
    }
  }, 300_000);

  it('a check past its time budget is stopped and refused with a 422 naming SCHEDULE_JOB_TIMEOUT_MS', async () => {
    await seed();
    const quick = new WorkerJobs({ timeoutMs: 3_000 });
    try {
      const tight = appWith({ ...DEFAULT_SCHEDULE_LIMITS, maxImportOccurrences: 1_000_000, jobTimeoutMs: 3_000 }, quick);
      const res = await tight.request(`/schedule/import?mapping=${MAPPING}&from=2025-01-01&to=2026-01-01`, { method: 'POST', body: hourlyFeed(), headers: { 'content-type': 'text/calendar' } });
      expect(res.status).toBe(422);
      expect((await outcome(res)).issue[0]?.diagnostics).toMatch(/ERR_SCHEDULE_TIME_LIMIT.*SCHEDULE_JOB_TIMEOUT_MS/);
      // the stopped worker is replaced: the next change goes through
      expect((await tight.request('/schedule', { method: 'PUT', body: JSON.stringify(example()), headers: { 'content-type': 'application/json' } })).status).toBe(200);
    } finally {
      await quick.close();
    }
  }, 300_000);
});

describe('GET /oncall/next', () => {
  it('names who is on call until when, and who takes over (the documented swap)', async () => {
    await seed();
    const res = await app.request('/oncall/next?role=ob-oncall&at=2025-03-11T10:00');
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      role: 'ob-oncall',
      at: '2025-03-11T10:00:00-04:00',
      current: { primary: { id: 'dr-brooks' }, since: '2025-03-11T07:00:00-04:00', until: '2025-03-11T19:00:00-04:00' },
      next: { primary: { id: 'dr-evans' }, since: '2025-03-11T19:00:00-04:00' },
    });
    const swap = (await (await app.request('/oncall/next?role=ob-oncall&at=2025-03-12T06:00')).json()) as { next: { primary: { id: string }; since: string; explanation: string } };
    expect(swap.next).toMatchObject({ primary: { id: 'dr-chen' }, since: '2025-03-12T07:00:00-04:00' });
    expect(swap.next.explanation).toContain("override 'swap-2025-03-12'");
  });

  it('an unknown role is a 404 that does not echo it', async () => {
    await seed();
    const res = await app.request('/oncall/next?role=SECRET-ROLE');
    expect(res.status).toBe(404);
    expect(JSON.stringify(await outcome(res))).not.toContain('SECRET');
  });
});
