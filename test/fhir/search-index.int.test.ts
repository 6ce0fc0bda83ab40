// Every search parameter can be served by an index of fhir_resource: over 12,000 synthetic Observations
// (600 patients, 60 codes, 400 days), with sequential scans priced out (enable_seqscan = off), EXPLAIN
// shows the index on the searched column for each kind of search. On a table this small PostgreSQL
// rightly prefers a scan for a code 1 row in 60 has; what matters is that the index exists and fits.
import type { Observation } from 'fhir/r4.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { explainSearchType, parseSearch, saveResources } from '../../src/fhir/index.js';

let db: TestDatabase;
const N = 12_000;
const DAY_MS = 86_400_000;
const T0 = Date.parse('2024-01-01T00:00:00Z');

beforeAll(async () => {
  db = await createTestDatabase();
  const batch: Observation[] = [];
  for (let i = 0; i < N; i++) {
    batch.push({
      resourceType: 'Observation', id: `o${i}`, status: i % 10 === 0 ? 'amended' : 'final',
      subject: { reference: `Patient/p${i % 600}` },
      code: { coding: [{ system: 'http://loinc.org', code: `c${i % 60}` }] },
      category: [{ coding: [{ system: 'urn:cat', code: `cat${i % 7}` }] }],
      identifier: [{ system: 'urn:lab', value: `L${i}` }],
      effectiveDateTime: new Date(T0 + (i % 400) * DAY_MS + (i % 24) * 3_600_000).toISOString(),
    });
    if (batch.length === 2_000) await saveResources(db.sql, batch.splice(0), { now: new Date(T0 + i * 1000) });
  }
  await db.sql`ANALYZE fhir_resource`;
}, 120_000);
afterAll(async () => {
  await db?.drop();
});

describe('the index behind each search', () => {
  it.each([
    ['patient=p7', 'fhir_resource_tokens'],
    ['subject=Patient/p7', 'fhir_resource_tokens'],
    ['subject:Patient=p7', 'fhir_resource_tokens'],
    ['code=http://loinc.org|c3', 'fhir_resource_tokens'],
    ['code=c3', 'fhir_resource_tokens'],
    ['code=urn:nothing|', 'fhir_resource_tokens'],
    ['category=urn:cat|cat2&patient=p9', 'fhir_resource_tokens'],
    ['identifier=urn:lab|L77', 'fhir_resource_tokens'],
    ['identifier=L77', 'fhir_resource_tokens'],
    ['status=amended&patient=p10', 'fhir_resource_tokens'],
    ['date=2024-03-05', 'fhir_resource_date_'],
    ['date=lt2024-01-03', 'fhir_resource_date_start'],
    ['date=gt2025-01-30', 'fhir_resource_date_end'],
    ['date=ge2025-02-02', 'fhir_resource_date_'],
    ['date=le2024-01-01', 'fhir_resource_date_'],
    ['_id=o5,o6', 'fhir_resource_pkey'],
  ])('Observation?%s uses %s', async (query, index) => {
    const { query: q } = parseSearch('Observation', new URLSearchParams(query));
    const plan = await db.sql.begin(async (tx) => {
      await tx`SET LOCAL enable_seqscan = off`;
      return explainSearchType(tx, 'Observation', q);
    });
    // the count has to find every match: the searched column's index
    expect(plan.count, plan.count).toContain(index);
    // a page may instead walk (resource_type, last_updated, id) in order and stop after _count + 1
    // matches, when matches are common enough: an index either way
    expect(plan.page, plan.page).toMatch(new RegExp(`${index}|fhir_resource_updated`));
    for (const p of [plan.count, plan.page]) expect(p, p).not.toMatch(/Seq Scan on fhir_resource/);
  });
});
