// The on-call HTTP routes in process (app.request), over a real PostgreSQL, mounted the way the
// gateway mounts them: behind a middleware that sets the principal.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Hono } from 'hono';
import type { AuthEnv } from '../../src/auth/middleware.js';
import { createOncallApp, ScheduleService } from '../../src/oncall/index.js';
import { onError } from '../../src/http/error-response.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { example, FEED_MAPPING_PATH, FEED_PATH, NOW } from './support.js';

let db: TestDatabase;
let app: Hono<AuthEnv>;
let service: ScheduleService;

beforeAll(async () => {
  db = await createTestDatabase();
  service = new ScheduleService({ sql: db.sql });
  app = new Hono<AuthEnv>();
  app.onError(onError);
  app.use('*', async (c, next) => {
    const scopes = c.req.header('x-test-scopes');
    if (scopes !== undefined) c.set('auth', { subject: 'tester', issuer: 'test', scopes: scopes.split(' ').filter(Boolean) });
    await next();
  });
  app.route('/', createOncallApp({ sql: db.sql, service, now: () => NOW }));
});
afterAll(async () => {
  await db.drop();
});
beforeEach(async () => {
  await db.sql`DELETE FROM schedule_document`;
  service.invalidate();
});

const RW = 'oncall.read oncall.write';
const req = (path: string, init: RequestInit & { scopes?: string } = {}) => {
  const { scopes = RW, headers, ...rest } = init;
  return app.request(path, { ...rest, headers: { 'x-test-scopes': scopes, ...(headers as Record<string, string> | undefined) } });
};
const putJson = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  req(path, { method: 'PUT', body: JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } });
const seed = async () => expect((await putJson('/schedule', example())).status).toBe(200);
const issuesOf = async (res: Response) => ((await res.json()) as { issue: { diagnostics: string; expression?: string[] }[] }).issue;

describe('GET /oncall', () => {
  beforeEach(seed);

  it('answers exactly the toOncallJson shape', async () => {
    const res = await req('/oncall?role=ob-oncall&at=2025-03-12T23:30:00-04:00');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      role: 'ob-oncall',
      at: '2025-03-12T23:30:00-04:00',
      primary: { id: 'dr-chen', name: 'Dr. Cora Chen' },
      backups: [{ id: 'dr-diaz', name: 'Dr. Dan Diaz' }],
      escalation: [
        { step: 1, targets: [{ id: 'dr-chen', name: 'Dr. Cora Chen' }], waitMinutes: 5 },
        { step: 2, targets: [{ id: 'dr-diaz', name: 'Dr. Dan Diaz' }, { id: 'dr-chen', name: 'Dr. Cora Chen' }], waitMinutes: 10 },
        { step: 3, targets: [{ id: 'dr-chen', name: 'Dr. Cora Chen' }], waitMinutes: 5 },
        { step: 4, targets: [{ id: 'dr-diaz', name: 'Dr. Dan Diaz' }, { id: 'dr-chen', name: 'Dr. Cora Chen' }], waitMinutes: 10 },
        { step: 5, targets: [{ id: 'sup-harper', name: 'Hal Harper (answering-service supervisor)' }], waitMinutes: 0 },
      ],
    });
  });

  it('defaults `at` to now and reads local times in the schedule zone', async () => {
    expect(await (await req('/oncall?role=ob-oncall')).json()).toMatchObject({ at: '2025-03-04T10:00:00-05:00', primary: { id: 'dr-alvarez' } });
    expect(await (await req('/oncall?role=ob-oncall&at=2025-03-04T10:00')).json()).toMatchObject({ at: '2025-03-04T10:00:00-05:00' });
  });

  it.each([
    ['a bad at', 400, '/oncall?role=ob-oncall&at=tomorrow'],
    ['no role', 400, '/oncall'],
    ['an unknown role', 404, '/oncall?role=nope'],
  ])('%s -> %i OperationOutcome', async (_n, status, path) => {
    const res = await req(path);
    expect(res.status).toBe(status);
    expect(((await res.json()) as { resourceType: string }).resourceType).toBe('OperationOutcome');
  });

  it('coverage: consecutive segments tiling the range, with explanations', async () => {
    const res = await req('/oncall/coverage?role=ob-oncall&from=2025-03-04T07:00&to=2025-03-05T07:00');
    expect(res.status).toBe(200);
    const body = (await res.json()) as { segments: { start: string; end: string; primary: { id: string } | null; explanation: string }[] };
    expect(body.segments.map((s) => [s.start, s.primary?.id])).toEqual([
      ['2025-03-04T07:00:00-05:00', 'dr-alvarez'],
      ['2025-03-04T19:00:00-05:00', 'dr-diaz'],
      ['2025-03-04T22:00:00-05:00', 'dr-diaz'], // the late backup starts: same primary, new backups
    ]);
    expect(body.segments[1]!.explanation).toContain("layer 'nights'");
    expect((await req('/oncall/coverage?role=ob-oncall&from=2025-03-05&to=2025-03-04')).status).toBe(400);
  });
});

describe('/schedule', () => {
  it('404 before anything is stored; PUT stores it, GET returns it with the version ETag', async () => {
    expect((await req('/schedule')).status).toBe(404);
    expect((await req('/oncall?role=ob-oncall')).status).toBe(404);
    const put = await putJson('/schedule', example());
    expect(put.status).toBe(200);
    expect(await put.json()).toEqual({ id: 'default', version: 1 });
    const got = await req('/schedule');
    expect(got.headers.get('etag')).toBe('W/"1"');
    expect(((await got.json()) as { timeZone: string }).timeZone).toBe('America/New_York');
  });

  it('If-Match: the matching version saves, a stale one is 409', async () => {
    await seed();
    expect((await putJson('/schedule', example(), { 'if-match': 'W/"1"' })).status).toBe(200);
    const stale = await putJson('/schedule', example(), { 'if-match': 'W/"1"' });
    expect(stale.status).toBe(409);
    expect((await issuesOf(stale))[0]!.diagnostics).toContain('ERR_SCHEDULE_CONFLICT');
    expect((await putJson('/schedule', example(), { 'if-match': 'yesterday' })).status).toBe(400);
  });

  it('400 lists each issue path; YAML bodies are read too', async () => {
    const doc = example();
    (doc.rotations[1] as { startDate: string }).startDate = 'March';
    doc.roles[0]!.layers[0]!.rotation = 'no-such-rotation';
    const res = await putJson('/schedule', doc);
    expect(res.status).toBe(400);
    expect((await issuesOf(res)).flatMap((i) => i.expression ?? [])).toEqual(['rotations[1].startDate']);
    const yaml = await req('/schedule', { method: 'PUT', body: 'version: 1\ntimeZone: UTC\npractitioners: []\nroles: []\n', headers: { 'content-type': 'application/yaml' } });
    expect(yaml.status).toBe(200);
    expect((await putJson('/schedule', '{"not json')).status).toBe(400);
  });

  it.each([
    ['a NUL', '"Dr. Cora \\u0000Chen"'],
    ['a lone surrogate', '"Dr. Cora \\ud800Chen"'],
  ])('refuses a name holding %s with 400 naming where (it used to fail in PostgreSQL with a 500)', async (_what, name) => {
    const body = JSON.stringify(example()).replace('"Dr. Cora Chen"', name);
    expect(body).toContain(name);
    const res = await req('/schedule', { method: 'PUT', body, headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(400);
    expect((await issuesOf(res)).flatMap((i) => i.expression ?? [])).toEqual([expect.stringMatching(/^practitioners\[\d+\]\.name$/)]);
  });

  it('refuses a body over the limit with 413', async () => {
    const res = await req('/schedule', { method: 'PUT', body: 'x'.repeat(2 * 1024 * 1024 + 1), headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(413);
  });

  it('lint: findings with local times', async () => {
    await seed();
    const res = await req('/schedule/lint?from=2025-03-01&to=2025-03-10');
    expect(res.status).toBe(200);
    const body = (await res.json()) as { version: number; findings: { code: string; start?: string }[] };
    expect(body.version).toBe(1);
    expect(body.findings).toEqual(expect.arrayContaining([expect.objectContaining({ code: 'GAP', start: '2025-03-01T00:00:00-05:00' })]));
  });
});

describe('/schedule/:collection/:id', () => {
  beforeEach(seed);

  it('GET, PUT (201 new, 200 replace), DELETE an item; the change is visible to /oncall at once', async () => {
    expect(await (await req('/schedule/practitioners/dr-chen')).json()).toMatchObject({ name: 'Dr. Cora Chen' });
    const created = await putJson('/schedule/overrides/brooks-now', { role: 'ob-oncall', practitioner: 'dr-brooks', start: '2025-03-04T08:00', end: '2025-03-04T20:00' });
    expect(created.status).toBe(201);
    expect(await created.json()).toEqual({ id: 'default', version: 2 });
    expect(await (await req('/oncall?role=ob-oncall')).json()).toMatchObject({ primary: { id: 'dr-brooks' } });
    expect((await putJson('/schedule/overrides/brooks-now', { role: 'ob-oncall', practitioner: 'dr-chen', start: '2025-03-04T08:00', end: '2025-03-04T20:00' })).status).toBe(200);
    expect((await req('/schedule/overrides/brooks-now', { method: 'DELETE' })).status).toBe(200);
    expect(await (await req('/oncall?role=ob-oncall')).json()).toMatchObject({ primary: { id: 'dr-alvarez' } });
  });

  it('routing-rules in the URL edits routing.rules', async () => {
    const res = await putJson('/schedule/routing-rules/peds', { when: { service: 'peds' }, role: 'ob-oncall' });
    expect(res.status).toBe(201);
    expect(await (await req('/schedule/routing-rules/peds')).json()).toMatchObject({ id: 'peds', role: 'ob-oncall' });
  });

  it.each([
    ['deleting a referenced practitioner', 400, () => req('/schedule/practitioners/dr-brooks', { method: 'DELETE' }), 'rotations[0].participants[1]'],
    ['an unknown item', 404, () => req('/schedule/groups/nope'), undefined],
    ['deleting an unknown item', 404, () => req('/schedule/groups/nope', { method: 'DELETE' }), undefined],
    ['an unknown collection', 404, () => req('/schedule/widgets/x'), undefined],
    ['a body id that differs from the path', 400, () => putJson('/schedule/groups/a', { id: 'b', members: [] }), 'id'],
    ['an invalid item', 400, () => putJson('/schedule/groups/a', { members: 'everyone' }), 'groups[1].members'],
    ['a stale If-Match', 409, () => putJson('/schedule/groups/a', { members: [] }, { 'if-match': '"9"' }), undefined],
  ])('%s -> %i', async (_n, status, run, path) => {
    const res = await run();
    expect(res.status).toBe(status);
    if (path !== undefined) expect((await issuesOf(res)).flatMap((i) => i.expression ?? [])).toContain(path);
  });
});

describe('POST /schedule/import', () => {
  const feed = readFileSync(FEED_PATH, 'utf8');
  const mapping = readFileSync(FEED_MAPPING_PATH, 'utf8');
  const equivalent = () => {
    const doc = JSON.parse(readFileSync(new URL('../../fixtures/schedules/ob-feed.equivalent.json', import.meta.url), 'utf8')) as Record<string, unknown> & { roles: { layers: unknown[] }[]; overrides: unknown[] };
    return doc;
  };

  it('merges a text/calendar feed (mapping in the query) as the top layer', async () => {
    expect((await putJson('/schedule', equivalent())).status).toBe(200);
    const res = await req(`/schedule/import?mapping=${encodeURIComponent(mapping)}&from=2025-03-01&to=2025-05-01`, { method: 'POST', body: feed, headers: { 'content-type': 'text/calendar' } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { version: number; shifts: number };
    expect(body.version).toBe(2);
    expect(body.shifts).toBeGreaterThan(0);
    const stored = (await (await req('/schedule')).json()) as { roles: { layers: { id: string }[] }[] };
    expect(stored.roles[0]!.layers.at(-1)!.id).toBe('ical');
  });

  it('takes multipart/form-data with calendar and mapping parts', async () => {
    expect((await putJson('/schedule', equivalent())).status).toBe(200);
    const form = new FormData();
    form.set('calendar', new Blob([feed], { type: 'text/calendar' }), 'ob-feed.ics');
    form.set('mapping', mapping);
    const res = await req('/schedule/import?from=2025-03-01&to=2025-05-01', { method: 'POST', body: form });
    expect(res.status).toBe(200);
  });

  it.each([
    ['no mapping', 400, '', 'text/calendar', feed],
    ['a bad mapping', 400, `?mapping=${encodeURIComponent('{"rules": []}')}`, 'text/calendar', feed],
    ['not a calendar', 400, `?mapping=${encodeURIComponent(mapping)}`, 'text/calendar', 'hello'],
    ['another content type', 415, `?mapping=${encodeURIComponent(mapping)}`, 'application/json', '{}'],
  ])('%s -> %i', async (_n, status, query, type, body) => {
    await seed();
    expect((await req(`/schedule/import${query}`, { method: 'POST', body, headers: { 'content-type': type } })).status).toBe(status);
  });
});

describe('scopes are the gate\'s alone (test/http/scopes.int.test.ts)', () => {
  beforeEach(seed);

  // src/http's gate checks every route's scope before this sub-app; were the sub-app to check again,
  // a principal without on-call scopes would be refused here
  it.each([
    ['GET', '/oncall?role=ob-oncall', 200],
    ['GET', '/schedule', 200],
    ['GET', '/schedule/lint', 200],
    ['DELETE', '/schedule/groups/supervisors', 400],
  ])('%s %s with no scope at all reaches the handler -> %i', async (method, path, status) => {
    expect((await req(path, { method, scopes: '' })).status).toBe(status);
  });
});
