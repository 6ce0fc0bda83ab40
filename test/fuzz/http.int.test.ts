// Random requests to the whole HTTP app (every route of the route table, over a real PostgreSQL) never
// get a 5xx. Seeded (HTTP_FUZZ_SEED, HTTP_FUZZ_RUNS) and structure-aware (the generators of
// http-requests.ts, which the long fuzz of a running gateway uses too: `npm run fuzz`).
// Every 5xx is collected (not only the first) and printed with the request that caused it.
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { buildApp, type TestApp } from '../http/support.js';
import { describeRequest, request, toFetch } from './http-requests.js';

let db: TestDatabase;
let t: TestApp;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  db = await createTestDatabase();
  t = await buildApp(db);
  tokens.admin = t.tokens.admin!;
  tokens.patient = await t.token(['patient/*.rs'], { patient: 'p1' });
  tokens.reader = await t.token(['system/Observation.s', 'inbox.read']);
  await db.sql`INSERT INTO inbox (source, control_id, message_type, raw) SELECT 'http', 'FZ' || g, 'ORU^R01', '\\x4d5348'::bytea FROM generate_series(1, 30) g`;
  await db.sql`INSERT INTO rejected (source, error_code, reason, raw) SELECT 'mllp', 'ERR_TEST', 'test', '\\x00'::bytea FROM generate_series(1, 30) g`;
});
afterAll(async () => {
  await t.close();
  await db.drop();
});

it('property: random, structure-aware requests to the HTTP app never get a 5xx', async () => {
  const bad: string[] = [];
  await fc.assert(fc.asyncProperty(request, async (r) => {
    const { url, init } = toFetch(r, tokens);
    const res = await t.app.request(url, init);
    if (res.status >= 500) bad.push(`${res.status} ${describeRequest(r, url)} -> ${(await res.text()).slice(0, 200)}`);
  }), { numRuns: Number(process.env.HTTP_FUZZ_RUNS ?? 1_500), seed: Number(process.env.HTTP_FUZZ_SEED ?? 20_241_125) });
  expect(bad).toEqual([]);
}, 600_000);
