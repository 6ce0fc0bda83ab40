import type { Bundle } from 'fhir/r4.js';
import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { saveResources } from '../../src/fhir/index.js';
import { communicationRequest } from './factories.js';
import { get, ids, mountFhir, nextLink } from './http.js';

let db: TestDatabase;
let app: Hono;
const T0 = Date.parse('2024-06-01T00:00:00Z');

beforeAll(async () => {
  db = await createTestDatabase();
  app = mountFhir(db.sql);
  // 45 requests for one patient, three per instant: paging must break ties on id
  for (let i = 0; i < 45; i++) {
    const id = `pg-${String(i).padStart(2, '0')}`;
    await saveResources(db.sql, [communicationRequest(id, { subject: { reference: 'Patient/pager' } })], { now: new Date(T0 + Math.floor(i / 3) * 1000) });
  }
});
afterAll(async () => {
  await db?.drop();
});

const ORIGINAL = Array.from({ length: 45 }, (_, i) => `pg-${String(i).padStart(2, '0')}`);

async function insertMore(tag: string, at: number): Promise<void> {
  const more = Array.from({ length: 5 }, (_, i) => communicationRequest(`new-${tag}-${i}`, { subject: { reference: 'Patient/pager' } }));
  await saveResources(db.sql, more, { now: new Date(at) });
}

describe('paging with _count and the next link', () => {
  it.each([
    ['-_lastUpdated (default)', '', 'desc'],
    ['_lastUpdated', '&_sort=_lastUpdated', 'asc'],
  ])('sort %s: 45 in 3 pages of 20, none repeated or lost while rows are inserted', async (_, sortParam, tag) => {
    const pages: string[][] = [];
    let url: string | undefined = `/CommunicationRequest?patient=pager&_count=20${sortParam}`;
    while (url) {
      const { status, body }: { status: number; body: Bundle } = await get<Bundle>(app, url);
      expect(status).toBe(200);
      pages.push(ids(body));
      url = nextLink(body);
      // concurrent writers: newer rows, and rows stamped inside the range already paged through
      await insertMore(`${tag}-${pages.length}-late`, T0 + 3_600_000 + pages.length);
      await insertMore(`${tag}-${pages.length}-mid`, T0 + 7_000);
      if (pages.length > 10) throw new Error('paging does not end');
    }
    const seen = pages.flat();
    expect(new Set(seen).size).toBe(seen.length); // no duplicates
    for (const id of ORIGINAL) expect(seen).toContain(id); // no omissions
    expect(pages[0]).toHaveLength(20);
    if (tag === 'desc') {
      // rows newer than the first page sort before every cursor: never seen on a later page
      expect(seen.filter((id) => id.includes('-late-'))).toEqual([]);
    }
    // each page is in order
    const orig = seen.filter((id) => id.startsWith('pg-'));
    const sorted = [...orig].sort();
    expect(orig).toEqual(tag === 'asc' ? sorted : sorted.reverse());
  });

  it('the next link is opaque, carries the search, and the last page has none', async () => {
    // the 21 originals stamped before T0+7s (the other tests insert rows at T0+7s and later)
    const { body } = await get<Bundle>(app, '/CommunicationRequest?patient=pager&_count=10&_lastUpdated=lt2024-06-01T00:00:07Z');
    expect(body.total).toBe(21);
    const next = nextLink(body);
    expect(next).toMatch(/^http:\/\/localhost\/fhir\/CommunicationRequest\?patient=pager&_count=10&_lastUpdated=lt2024-06-01T00%3A00%3A07Z&_cursor=[A-Za-z0-9_-]+$/);
    const p2 = await get<Bundle>(app, next!);
    expect(p2.body.link?.find((l) => l.relation === 'self')?.url).toBe(next);
    const p3 = await get<Bundle>(app, nextLink(p2.body)!);
    expect(ids(p3.body)).toEqual(['pg-00']);
    expect(nextLink(p3.body)).toBeUndefined();
  });

  it('a cursor made for one sort order is refused for the other', async () => {
    const { body } = await get<Bundle>(app, '/CommunicationRequest?patient=pager&_count=2');
    const cursor = new URL(nextLink(body)!).searchParams.get('_cursor')!;
    const { status } = await get(app, `/CommunicationRequest?patient=pager&_count=2&_sort=_lastUpdated&_cursor=${cursor}`);
    expect(status).toBe(400);
  });
});
