// Migration 024: the columns the pipeline's indexes are built on compare byte by byte, whatever the
// database's collation, queries that pass their values as ordinary (default-collation) text still
// match them and their indexes, and a store migrated before keeps its rows through the upgrade.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import postgres from 'postgres';
import { adminUrl, createTestDatabase, type TestDatabase } from '../support/db.js';
import { listMigrations, migrate } from '../../src/store/migrate.js';

let db: TestDatabase;
beforeAll(async () => { db = await createTestDatabase(); });
afterAll(async () => { await db.drop(); });

const BYTEWISE: Record<string, string[]> = {
  fhir_resource: ['resource_type', 'id', 'subject', 'recipients', 'identifiers', 'tokens'],
  inbox: ['sender_app', 'sender_facility', 'control_id', 'order_patient'],
  delivery_run: ['request_id', 'role'],
  delivery_notification: ['id', 'request_id', 'kind', 'recipient'],
  delivery_digest: ['id', 'recipient'],
  delivery_attempt: ['notification_id', 'digest_id', 'request_id', 'channel', 'contact'],
  delivery_event: ['request_id'],
  audit_event: ['actor', 'patient'],
};

describe('key and search columns (migration 024)', () => {
  it('are COLLATE "C"', async () => {
    const rows = await db.sql<{ table: string; column: string; collation: string | null }[]>`
      SELECT c.relname AS table, a.attname AS column, co.collname AS collation
      FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid LEFT JOIN pg_collation co ON co.oid = a.attcollation
      WHERE c.relname = ANY(${Object.keys(BYTEWISE)}) AND c.relnamespace = 'public'::regnamespace AND a.attnum > 0 AND NOT a.attisdropped`;
    const got = new Map(rows.map((r) => [`${r.table}.${r.column}`, r.collation]));
    for (const [table, columns] of Object.entries(BYTEWISE)) {
      for (const column of columns) expect(got.get(`${table}.${column}`), `${table}.${column}`).toBe('C');
    }
  });

  it('sort bytewise, and match default-collation parameters through their indexes', async () => {
    await db.sql`
      INSERT INTO fhir_resource (resource_type, id, tokens, identifiers, search_version, resource)
      SELECT 'Observation', id, ARRAY['code|http://loinc.org|' || id], ARRAY['urn:x|' || id], 1, '{}'::jsonb
      FROM unnest(ARRAY['b', 'B', 'a', 'A', '\u00e9', 'e']) AS id`;
    const order = await db.sql<{ id: string }[]>`SELECT id FROM fhir_resource WHERE resource_type = 'Observation' ORDER BY id`;
    // code point order: capitals before small letters, é after every ASCII letter (a linguistic collation interleaves them)
    expect(order.map((r) => r.id)).toEqual(['A', 'B', 'a', 'b', 'e', '\u00e9']);
    const probe = ['code|http://loinc.org|\u00e9'];
    const found = await db.sql<{ id: string }[]>`SELECT id FROM fhir_resource WHERE tokens @> ${probe}::text[] AND identifiers && ${['urn:x|\u00e9']}::text[]`;
    expect(found.map((r) => r.id)).toEqual(['\u00e9']);
    const byKey = await db.sql<{ id: string }[]>`SELECT id FROM fhir_resource WHERE (resource_type, id) = (${'Observation'}, ${'B'})`;
    expect(byKey.map((r) => r.id)).toEqual(['B']);
    // the planner may still use the indexes: with sequential scans priced out, each probe is an index scan
    const plans = await db.sql.begin(async (tx) => {
      await tx`SET LOCAL enable_seqscan = off`;
      const text = async (q: Promise<Record<string, string>[]>) => (await q).map((r) => r['QUERY PLAN']).join('\n');
      return [
        await text(tx`EXPLAIN SELECT id FROM fhir_resource WHERE tokens @> ${probe}::text[]`),
        await text(tx`EXPLAIN SELECT id FROM fhir_resource WHERE identifiers && ${['urn:x|\u00e9']}::text[]`),
        await text(tx`EXPLAIN SELECT id FROM fhir_resource WHERE resource_type = ${'Observation'} AND id = ${'B'}`),
      ];
    });
    expect(plans[0]).toMatch(/fhir_resource_tokens/);
    expect(plans[1]).toMatch(/fhir_resource_identifiers/);
    // the primary key, or another index led by (resource_type, … id): the id is an index condition
    expect(plans[2]).toMatch(/Index Cond: .*\bid = 'B'::text/);
  });

  it('an upgrade keeps every stored row, and finds it again by its keys', async () => {
    const old = await createTestDatabase({ migrate: false });
    // the owner's connection (under TEST_DB_ROLE=app old.url is the suite's runtime role)
    const owner = postgres(Object.assign(new URL(adminUrl()), { pathname: new URL(old.url).pathname }).toString(), { max: 1, onnotice: () => {} });
    try {
      const all = listMigrations();
      await migrate(owner, all.filter((m) => m.version < 24));
      await owner`
        INSERT INTO fhir_resource (resource_type, id, subject, tokens, identifiers, search_version, resource)
        SELECT 'Observation', 'o' || g, 'Patient/p' || (g % 10), ARRAY['code|http://loinc.org|' || g, 'subject>Patient/p' || (g % 10)],
               ARRAY['urn:x|v' || g], 1, '{}'::jsonb
        FROM generate_series(1, 500) g`;
      await owner`
        INSERT INTO inbox (source, sender_app, sender_facility, control_id, message_type, raw, content_hash, state, order_patient)
        SELECT 'mllp', 'LAB', 'F', 'C' || g, 'ORU^R01', '\\x00'::bytea, sha256(g::text::bytea), 'received', 'p' || (g % 10)
        FROM generate_series(1, 200) g`;
      expect(await migrate(owner, all.filter((m) => m.version <= 24))).toEqual(['024_keys_collate_c']);
      const [counts] = await owner<{ resources: number; inbox: number }[]>`
        SELECT (SELECT count(*)::int FROM fhir_resource) AS resources, (SELECT count(*)::int FROM inbox) AS inbox`;
      expect(counts).toEqual({ resources: 500, inbox: 200 });
      const [found] = await owner<{ byToken: string[]; byIdentifier: string[]; byKey: number; pending: number }[]>`
        SELECT (SELECT array_agg(id ORDER BY id) FROM fhir_resource WHERE tokens @> ${['subject>Patient/p3']}::text[]) AS "byToken",
               (SELECT array_agg(id) FROM fhir_resource WHERE identifiers @> ${['urn:x|v42']}::text[]) AS "byIdentifier",
               (SELECT count(*)::int FROM inbox WHERE (sender_app, sender_facility, control_id) = ('LAB', 'F', 'C7')) AS "byKey",
               (SELECT count(*)::int FROM inbox WHERE sender_app = 'LAB' AND order_patient = 'p3' AND state NOT IN ('processed', 'failed')) AS pending`;
      expect(found!.byToken).toHaveLength(50);
      expect(found!.byIdentifier).toEqual(['o42']);
      expect(found!.byKey).toBe(1);
      expect(found!.pending).toBe(20);
      const [invalid] = await owner<{ n: number }[]>`SELECT count(*)::int AS n FROM pg_index WHERE NOT indisvalid`;
      expect(invalid!.n).toBe(0);
    } finally {
      await owner.end();
      await old.drop();
    }
  });
});

