// Search on PHI through keyed hashes: identifiers and birth dates match exactly, as before, while the
// search columns hold no MRN or birth date in clear; what a hash cannot serve is refused, not guessed.
import type { Patient } from 'fhir/r4.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSearch, saveResources, searchType } from '../../src/fhir/index.js';
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
