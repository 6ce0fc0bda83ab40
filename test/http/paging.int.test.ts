// Keyset paging of GET /inbox (oldest first, ?after=) and GET /rejected (newest first, ?before=) over
// 2,500 rows: ids cross the 9/10, 99/100 and 999/1000 boundaries, where an id compared as text sorts
// 1, 10, 100, 1000, 1001 … (PostgreSQL orders `SELECT id::text … ORDER BY id` by the text output column).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { buildApp, type TestApp } from './support.js';

const ROWS = 2_500;
let db: TestDatabase;
let t: TestApp;

beforeAll(async () => {
  db = await createTestDatabase();
  t = await buildApp(db);
  await db.sql`INSERT INTO inbox (source, control_id, message_type, raw) SELECT 'http', 'PAGE' || g, 'ORU^R01', '\\x4d5348'::bytea FROM generate_series(1, ${ROWS}) g`;
  await db.sql`INSERT INTO rejected (source, error_code, reason, raw) SELECT 'mllp', 'ERR_TEST', 'test', '\\x00'::bytea FROM generate_series(1, ${ROWS}) g`;
});
afterAll(async () => {
  await t.close();
  await db.drop();
});

const all = (n: number, from = 1): string[] => Array.from({ length: n }, (_, i) => String(from + i));

async function page(path: string): Promise<{ ids: string[]; next: string | null }> {
  const res = await t.app.request(path, { headers: t.auth('admin') });
  expect(res.status).toBe(200);
  const rows = (await res.json()) as { id: string }[];
  const link = res.headers.get('link');
  // the link is relative to the list's own URL (RFC 3986 5.2)
  const target = link ? /^<([^>]+)>; rel="next"$/.exec(link)?.[1] : undefined;
  const next = target ? new URL(target, `http://sb.test${path}`) : undefined;
  return { ids: rows.map((r) => r.id), next: next ? `${next.pathname}${next.search}` : null };
}

describe('GET /inbox?after=', () => {
  it.each([9, 100, 1000])('pages through every row in id order, %i at a time, following the next link', async (limit) => {
    const seen: string[] = [];
    let next: string | null = `/inbox?limit=${limit}`;
    while (next) {
      const p: { ids: string[]; next: string | null } = await page(next);
      seen.push(...p.ids);
      next = p.next;
      if (seen.length > ROWS + limit) throw new Error('paging does not end');
    }
    expect(seen).toEqual(all(ROWS));
  });

  it.each([['9', ['10', '11']], ['99', ['100', '101']], ['999', ['1000', '1001']], ['2499', ['2500']]])('after=%s starts at the next id', async (after, expected) => {
    expect((await page(`/inbox?after=${after}&limit=2`)).ids).toEqual(expected);
  });

  it('the next link is relative to the list and carries the page size and state', async () => {
    const res = await t.app.request('/inbox?limit=5&state=received', { headers: t.auth('admin') });
    expect(res.headers.get('link')).toBe('<inbox?state=received&after=5&limit=5>; rel="next"');
  });

  it('the first page is the oldest rows, numerically', async () => {
    expect((await page('/inbox?limit=12')).ids).toEqual(all(12));
  });
});

describe('GET /rejected?before=', () => {
  it('the first page is the newest rows', async () => {
    expect((await page('/rejected?limit=5')).ids).toEqual(['2500', '2499', '2498', '2497', '2496']);
  });

  it.each([['1001', ['1000', '999']], ['101', ['100', '99']], ['11', ['10', '9']], ['2', ['1']]])('before=%s starts at the next older id', async (before, expected) => {
    expect((await page(`/rejected?before=${before}&limit=2`)).ids).toEqual(expected);
  });

  it.each([9, 1000])('pages through every row, newest first, %i at a time', async (limit) => {
    const seen: string[] = [];
    let next: string | null = `/rejected?limit=${limit}`;
    while (next) {
      const p: { ids: string[]; next: string | null } = await page(next);
      seen.push(...p.ids);
      next = p.next;
      if (seen.length > ROWS + limit) throw new Error('paging does not end');
    }
    expect(seen).toEqual(all(ROWS).reverse());
  });
});
