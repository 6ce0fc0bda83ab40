// Search on PHI through keyed hashes: identifiers and birth dates match exactly, as before, while the
// search columns hold no MRN or birth date in clear; what a hash cannot serve is refused, not guessed.
import type { Patient } from 'fhir/r4.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSearch, reindexSearchColumns, saveResources, searchType } from '../../src/fhir/index.js';
import { phiKeyring } from '../../src/crypto/index.js';
import { findResourcesByIdentifier } from '../../src/store/index.js';
import { OperationOutcomeError } from '../../src/outcome/index.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

let db: TestDatabase;
const patient = (id: string, mrn: string, birthDate: string, system = 'urn:mrn:genhosp'): Patient =>
  ({ resourceType: 'Patient', id, identifier: [{ system, value: mrn }], birthDate, name: [{ family: 'HASHPATIENT' }] });

beforeAll(async () => {
  db = await createTestDatabase();
  await saveResources(db.sql, [patient('p1', 'MRN-0001', '1970-01-01'), patient('p2', 'MRN-0002', '1980-02-29'), patient('p3', 'MRN-0001', '1970-01-01', 'urn:mrn:other')], { now: new Date('2025-01-01T00:00:00Z') });
});
afterAll(async () => { await db?.drop(); });

const ids = async (query: string) => (await searchType(db.sql, 'Patient', parseSearch('Patient', new URLSearchParams(query)).query)).resources.map((r) => r.id).sort();

describe('searching sealed Patients', () => {
  it.each([
    ['identifier=urn:mrn:genhosp|MRN-0001', ['p1']],
    ['identifier=MRN-0001', ['p1', 'p3']],
    ['identifier=urn:mrn:other|', ['p3']],
    ['identifier=urn:mrn:genhosp|MRN-9999', []],
    ['birthdate=1970-01-01', ['p1', 'p3']],
    ['birthdate=eq1980-02-29', ['p2']],
    ['birthdate=1980-02-29&identifier=MRN-0002', ['p2']],
  ])('%s', async (query, expected) => {
    expect(await ids(query)).toEqual(expected);
  });

  it.each(['birthdate=ge1970-01-01', 'birthdate=1970', 'birthdate=1970-01'])('%s is refused: exact dates only', (query) => {
    expect(() => parseSearch('Patient', new URLSearchParams(query))).toThrow(OperationOutcomeError);
  });

  it('the search columns hold neither MRNs nor birth dates in clear', async () => {
    const rows = await db.sql<{ cols: string }[]>`SELECT identifiers::text || tokens::text || coalesce(date_start::text, '') AS cols FROM fhir_resource`;
    const text = rows.map((r) => r.cols).join('\n');
    expect(text).not.toMatch(/MRN-000|1970|1980/);
    expect(text).toContain('urn:mrn:other'); // the system-only entry: a system is no PHI
  });
});

describe('UUID URN identifiers (opaque ids) are stored as their bytes, not hashed', () => {
  const URN = 'urn:uuid:2ae8ff26-aedd-8968-c647-1391a03060a7';
  const UPPER = 'urn:uuid:2AE8FF26-AEDD-8968-C647-1391A03060A7';
  // the 16 bytes of URN in base64url, after a '~'
  const KEY = `~${Buffer.from('2ae8ff26aedd8968c6471391a03060a7', 'hex').toString('base64url')}`;
  const observation = (id: string, value: string) => ({
    resourceType: 'Observation' as const, id, status: 'final' as const, code: { text: 'K' },
    identifier: [{ system: 'urn:ietf:rfc:3986', value }, { system: 'urn:mrn:genhosp', value: `MRN-OBS-${id}` }],
  });
  beforeAll(async () => {
    await saveResources(db.sql, [observation('o1', URN), observation('o2', UPPER), { ...observation('o3', URN), identifier: [{ system: 'urn:other', value: URN }] }], { now: new Date('2025-01-01T00:00:00Z') });
  });
  const obs = async (query: string) => (await searchType(db.sql, 'Observation', parseSearch('Observation', new URLSearchParams(query)).query)).resources.map((r) => r.id).sort();

  it('stores a lower-case UUID URN as its bytes and every other value hashed, the MRN beside it included', async () => {
    expect(KEY).toHaveLength(23);
    const [o1] = await db.sql<{ identifiers: string[]; tokens: string[] }[]>`SELECT identifiers, tokens FROM fhir_resource WHERE resource_type = 'Observation' AND id = 'o1'`;
    expect(o1!.identifiers).toContain(`${KEY}|${KEY}`);
    expect(o1!.tokens).toEqual(expect.arrayContaining([`identifier|${KEY}`, `identifier#c|${KEY}`, 'identifier#s|urn:ietf:rfc:3986']));
    // under another system the exact entry is hashed, the value part is still the bytes
    const [o3] = await db.sql<{ identifiers: string[] }[]>`SELECT identifiers FROM fhir_resource WHERE resource_type = 'Observation' AND id = 'o3'`;
    expect(o3!.identifiers).toEqual([expect.stringMatching(new RegExp(`^[A-Za-z0-9_-]{16}\\|${KEY}$`))]);
    const rows = await db.sql<{ cols: string }[]>`SELECT identifiers::text || tokens::text AS cols FROM fhir_resource WHERE resource_type = 'Observation'`;
    expect(rows.map((r) => r.cols).join('\n')).not.toMatch(/2ae8ff26|MRN-OBS/i);
  });

  it.each([
    [`identifier=urn:ietf:rfc:3986|${URN}`, ['o1']],
    [`identifier=${URN}`, ['o1', 'o3']],
    [`identifier=urn:other|${URN}`, ['o3']],
    [`identifier=urn:ietf:rfc:3986|${UPPER}`, ['o2']],
    [`identifier=${UPPER}`, ['o2']],
    ['identifier=urn:ietf:rfc:3986|', ['o1', 'o2']],
    ['identifier=urn:mrn:genhosp|MRN-OBS-o1', ['o1']],
  ])('%s', async (query, expected) => {
    expect(await obs(query)).toEqual(expected);
  });

  it('conditional writes find them by system|value and by value alone', async () => {
    const found = await db.sql.begin((tx) => findResourcesByIdentifier(tx, [
      { type: 'Observation', kind: 'exact', key: `urn:ietf:rfc:3986|${URN}` },
      { type: 'Observation', kind: 'value', key: URN },
      { type: 'Observation', kind: 'exact', key: `urn:ietf:rfc:3986|${UPPER}` },
      { type: 'Observation', kind: 'value', key: UPPER },
    ]));
    expect(found.map((m) => [m.condition, m.id])).toEqual([[0, 'o1'], [1, 'o1'], [1, 'o3'], [2, 'o2'], [3, 'o2']]);
  });

  it('rows stored with the hashed form are re-extracted at start and found again', async () => {
    // as an older version stored o1: its UUID URN hashed like any value
    const ring = phiKeyring();
    const hashedEntry = `${ring.searchHash('identifier', `urn:ietf:rfc:3986|${URN}`)}|${ring.searchHash('identifier-value', URN)}`;
    await db.sql`UPDATE fhir_resource SET identifiers = ARRAY[${hashedEntry}], tokens = '{}', search_version = 2 WHERE resource_type = 'Observation' AND id = 'o1'`;
    const lookup = () => db.sql.begin((tx) => findResourcesByIdentifier(tx, [{ type: 'Observation', kind: 'exact', key: `urn:ietf:rfc:3986|${URN}` }]));
    expect(await lookup()).toEqual([]);
    expect(await reindexSearchColumns(db.sql)).toBe(1);
    expect((await lookup()).map((m) => m.id)).toEqual(['o1']);
    expect(await obs(`identifier=urn:ietf:rfc:3986|${URN}`)).toEqual(['o1']);
  });
});
