// Rows an older search extractor wrote (search_version below the current one: every row stored before
// migration 008) are re-extracted by reindexSearchColumns, which the gateway runs at start.
import type { Bundle } from 'fhir/r4.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import postgres from 'postgres';
import { reindexSearchColumns, saveResources } from '../../src/fhir/index.js';
import { SEARCH_COLUMNS_VERSION } from '../../src/fhir/search-columns.js';
import { listStaleSearchRows, updateSearchColumns } from '../../src/store/index.js';
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

  it('tells how far a long pass got, as often as asked, and the total at the end', async () => {
    await db.sql`UPDATE fhir_resource SET search_version = 0`;
    const told: number[] = [];
    expect(await reindexSearchColumns(db.sql, { batch: 3, progressEveryMs: 0, onProgress: (n) => told.push(n) })).toBe(8);
    expect(told).toEqual([0, 3, 6, 8]);
    told.length = 0;
    await db.sql`UPDATE fhir_resource SET search_version = 0`;
    // at its default pace, a pass of a few batches says nothing until it returns
    expect(await reindexSearchColumns(db.sql, { batch: 3, onProgress: (n) => told.push(n) })).toBe(8);
    expect(told).toEqual([]);
  });

  it('does not overwrite a row written again since it was read (its writer extracted it already)', async () => {
    const [row] = await db.sql<{ version_id: number }[]>`SELECT version_id FROM fhir_resource WHERE resource_type = 'Observation' AND id = 'ob-0'`;
    const stale = { resource_type: 'Observation', id: 'ob-0', version_id: row!.version_id - 1, subject: null, status: null, priority: null, recipients: [], identifiers: [], tokens: [], date_start: null, date_end: null, search_version: 99 };
    expect(await updateSearchColumns(db.sql, [stale])).toBe(0);
    expect(await updateSearchColumns(db.sql, [{ ...stale, version_id: row!.version_id, tokens: ['x'] }])).toBe(1);
  });
});

describe('finding the stale rows', () => {
  it('the partial index of stale rows is bounded by the extractor\'s version (a bump needs a migration replacing it)', async () => {
    const [ix] = await db.sql<{ def: string }[]>`SELECT pg_get_indexdef('fhir_resource_search_stale'::regclass) AS def`;
    expect(ix!.def).toContain(`WHERE (search_version < ${SEARCH_COLUMNS_VERSION})`);
  });

  it('on a current store, reads the index of stale rows and a few pages, not every stored resource', async () => {
    const fresh = await createTestDatabase();
    try {
      await fresh.sql.unsafe(`
        INSERT INTO fhir_resource (resource_type, id, identifiers, tokens, search_version, resource)
        SELECT 'Observation', 'cur' || g, '{}', '{}', ${SEARCH_COLUMNS_VERSION}, jsonb_build_object('resourceType', 'Observation', 'id', 'cur' || g)
        FROM generate_series(1, 20000) g`);
      await fresh.sql`ANALYZE fhir_resource`;
      // the statement as the pass sends it, recorded from the driver, then run under EXPLAIN ANALYZE
      const seen: { text: string; params: unknown[] }[] = [];
      const rec = postgres(fresh.url, { max: 1, onnotice: () => {}, debug: (_c, text, params) => { seen.push({ text, params: params as unknown[] }); } });
      try {
        expect(await listStaleSearchRows(rec, SEARCH_COLUMNS_VERSION, null, 500)).toEqual([]);
      } finally {
        await rec.end();
      }
      const stmt = seen.find((x) => /FROM fhir_resource/.test(x.text))!;
      const [row] = await fresh.sql.unsafe(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${stmt.text}`, stmt.params as never[]);
      const root = ((row as Record<string, unknown>)['QUERY PLAN'] as { Plan: Record<string, number> }[])[0]!.Plan;
      expect(JSON.stringify(root)).toContain('"Index Name":"fhir_resource_search_stale"');
      // the plan's own pages (a node's counts include its children's; planning's are apart): walking
      // the primary key read ~100 of this store's, and every page of a real one
      expect(root['Shared Hit Blocks']! + root['Shared Read Blocks']!).toBeLessThan(10);
      // a row an earlier gateway writes at its older version is found through the same index
      await fresh.sql`UPDATE fhir_resource SET search_version = 0 WHERE id = 'cur77'`;
      expect((await listStaleSearchRows(fresh.sql, SEARCH_COLUMNS_VERSION, null, 500)).map((r) => r.id)).toEqual(['cur77']);
    } finally {
      await fresh.drop();
    }
  }, 60_000);
});
