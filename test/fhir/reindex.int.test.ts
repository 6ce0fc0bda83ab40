// Rows an older search extractor wrote (search_version below the current one: every row stored before
// migration 008) are re-extracted by reindexSearchColumns, which the gateway runs at start.
import type { Bundle } from 'fhir/r4.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { reindexSearchColumns, saveResources } from '../../src/fhir/index.js';
import { updateSearchColumns } from '../../src/store/index.js';
import { observation, patient } from './factories.js';
import { get, ids, mountFhir } from './http.js';

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
  await saveResources(db.sql, [patient('p1', 'MRN-1'), ...Array.from({ length: 7 }, (_, i) => observation(`ob-${i}`, i % 2 ? 'Patient/p1' : 'Patient/p2'))], { now: new Date('2024-05-01T00:00:00Z') });
  // as migration 008 leaves rows stored before it
  await db.sql`UPDATE fhir_resource SET tokens = '{}', date_start = NULL, date_end = NULL, search_version = 0`;
});
afterAll(async () => {
  await db?.drop();
});

describe('reindexSearchColumns', () => {
  it('makes old rows searchable by the new parameters, in batches, once', async () => {
    const app = mountFhir(db.sql);
    expect(ids((await get<Bundle>(app, '/Observation?patient=p1')).body)).toEqual([]);
    expect(await reindexSearchColumns(db.sql, { batch: 3 })).toBe(8);
    expect(ids((await get<Bundle>(app, '/Observation?patient=p1&code=http://loinc.org|2823-3')).body).sort()).toEqual(['ob-1', 'ob-3', 'ob-5']);
    expect(ids((await get<Bundle>(app, '/Patient?identifier=MRN-1')).body)).toEqual(['p1']);
    expect(await reindexSearchColumns(db.sql)).toBe(0);
  });

  it('does not overwrite a row written again since it was read (its writer extracted it already)', async () => {
    const [row] = await db.sql<{ version_id: number }[]>`SELECT version_id FROM fhir_resource WHERE resource_type = 'Observation' AND id = 'ob-0'`;
    const stale = { resource_type: 'Observation', id: 'ob-0', version_id: row!.version_id - 1, subject: null, status: null, priority: null, recipients: [], identifiers: [], tokens: [], date_start: null, date_end: null, search_version: 99 };
    expect(await updateSearchColumns(db.sql, [stale])).toBe(0);
    expect(await updateSearchColumns(db.sql, [{ ...stale, version_id: row!.version_id, tokens: ['x'] }])).toBe(1);
  });
});
