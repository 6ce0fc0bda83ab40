// fhir_identifier_values, the expression of the value-only identifier index (migrations 010, 022):
// the value part of every 'system|value' entry, element for element as the set-based definition
// gives it, whatever the entries hold.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

let db: TestDatabase;
beforeAll(async () => { db = await createTestDatabase(); });
afterAll(async () => { await db.drop(); });

const CASES: (string | null)[][] = [
  [],
  ['urn:oid:1.2|MRN1'],
  ['a|b', '|only-value', 'no-bar', ''],
  ['x|y|z', '||', '|'],
  ['AbCdEfGhIjKlMnOp|QrStUvWxYz012345', 'p\u00e9|v\u00e4l\u00fc\u00e9', 'tab\t|new\nline'],
  [null, 'a|b', null],
];

describe('fhir_identifier_values', () => {
  it('returns the value part of each entry, as unnest + array_agg would', async () => {
    for (const ids of CASES) {
      const [row] = await db.sql<{ got: (string | null)[]; want: (string | null)[] }[]>`
        SELECT fhir_identifier_values(${ids as string[]}::text[]) AS got,
               (SELECT coalesce(array_agg(substr(x, strpos(x, '|') + 1) ORDER BY n), '{}') FROM unnest(${ids as string[]}::text[]) WITH ORDINALITY AS u(x, n)) AS want`;
      expect(row!.got, JSON.stringify(ids)).toEqual(row!.want);
    }
    const [none] = await db.sql<{ v: null }[]>`SELECT fhir_identifier_values(NULL::text[]) AS v`;
    expect(none!.v).toBeNull();
  });

  it('serves the value-only index: a lookup by value finds the row through it', async () => {
    await db.sql`INSERT INTO fhir_resource (resource_type, id, identifiers, tokens, search_version, resource)
                 VALUES ('Patient', 'iv1', ARRAY['sys|V-123', 'other|W-9'], '{}', 1, '{}'::jsonb)`;
    const rows = await db.sql<{ id: string }[]>`SELECT id FROM fhir_resource WHERE fhir_identifier_values(identifiers) @> ARRAY['W-9']`;
    expect(rows.map((r) => r.id)).toEqual(['iv1']);
  });
});
