// The search parameters clients ask for first (FHIR R4 search.html): token system|code in its four
// forms, typed references, date ranges with prefixes, and strict refusal of what we do not support —
// an ignored `subject:Patient=X` or `patient.identifier=…` used to return every patient's data.
import type { Bundle, Communication, CommunicationRequest, DiagnosticReport, Encounter, Observation, OperationOutcome, Resource } from 'fhir/r4.js';
import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { SEARCH_PARAMS, saveResources } from '../../src/fhir/index.js';
import { patient } from './factories.js';
import { get, ids, mountFhir } from './http.js';

let db: TestDatabase;
let app: Hono;
/** A resource of its own type inside a Resource[] (the literal is checked against T). */
const typed = <T extends Resource>(r: T): T => r;

const LOINC = 'http://loinc.org';
const CAT = 'http://terminology.hl7.org/CodeSystem/observation-category';
const obs = (id: string, subject: string, code: string, effective: Partial<Observation>, over: Partial<Observation> = {}): Observation => ({
  resourceType: 'Observation', id, status: 'final', subject: { reference: subject },
  code: { coding: [{ system: LOINC, code }, { system: 'urn:local-lab', code: `L-${code}` }] },
  category: [{ coding: [{ system: CAT, code: 'laboratory' }] }],
  ...effective, ...over,
});

beforeAll(async () => {
  db = await createTestDatabase();
  app = mountFhir(db.sql);
  await saveResources(db.sql, [
    patient('pa', 'MRN-A'), patient('pb', 'MRN-B'),
    obs('k-a1', 'Patient/pa', '2823-3', { effectiveDateTime: '2024-05-01T08:00:00Z' }),
    obs('k-a2', 'Patient/pa', '2823-3', { effectiveDateTime: '2024-05-03' }, { status: 'amended' }),
    obs('na-a', 'Patient/pa', '2951-2', { effectivePeriod: { start: '2024-04-30T22:00:00Z', end: '2024-05-01T02:00:00Z' } }),
    obs('k-b1', 'Patient/pb', '2823-3', { effectiveInstant: '2024-06-10T10:00:00.123Z' }, { category: [{ coding: [{ system: CAT, code: 'vital-signs' }] }] }),
    obs('k-g', 'Group/g1', '2823-3', { effectivePeriod: { start: '2024-07-01T00:00:00Z' } }),
    obs('x-nosys', 'Patient/pb', 'plain', {}, { code: { coding: [{ code: 'NOSYS' }] } }),
    obs('x-pipe', 'Patient/pb', 'plain', {}, { code: { coding: [{ system: 'urn:a|b', code: 'c' }, { system: 'urn:a', code: 'b|c' }] } }),
    typed<DiagnosticReport>({ resourceType: 'DiagnosticReport', id: 'dr-1', status: 'final', subject: { reference: 'Patient/pa' }, code: { coding: [{ system: LOINC, code: '24323-8' }] }, effectiveDateTime: '2024-05-01' }),
    typed<Encounter>({ resourceType: 'Encounter', id: 'enc-a', status: 'in-progress', class: { code: 'IMP' }, subject: { reference: 'Patient/pa' }, period: { start: '2024-05-01T06:00:00Z' } }),
    typed<Encounter>({ resourceType: 'Encounter', id: 'enc-b', status: 'finished', class: { code: 'AMB' }, subject: { reference: 'Patient/pb' } }),
    typed<CommunicationRequest>({ resourceType: 'CommunicationRequest', id: 'cr-1', status: 'active', priority: 'stat', subject: { reference: 'Patient/pa' }, recipient: [{ reference: 'Practitioner/dr-x' }], basedOn: [{ reference: 'ServiceRequest/sr-1' }] }),
    typed<Communication>({ resourceType: 'Communication', id: 'cm-1', status: 'completed', priority: 'stat', subject: { reference: 'Patient/pa' }, recipient: [{ reference: 'Practitioner/dr-x' }], basedOn: [{ reference: 'CommunicationRequest/cr-1' }] }),
    typed<Communication>({ resourceType: 'Communication', id: 'cm-2', status: 'in-progress', priority: 'routine', subject: { reference: 'Patient/pb' }, recipient: [{ reference: 'PractitionerRole/role-y' }] }),
  ], { now: new Date('2024-08-01T00:00:00Z') });
});
afterAll(async () => {
  await db?.drop();
});

const sorted = (b: Bundle): string[] => ids(b).sort();

describe.each<[string, string, string[]]>([
  ['Observation', 'patient=pa', ['k-a1', 'k-a2', 'na-a']],
  ['Observation', 'patient=Patient/pa', ['k-a1', 'k-a2', 'na-a']],
  ['Observation', 'patient:Patient=pb', ['k-b1', 'x-nosys', 'x-pipe']],
  ['Observation', 'subject=Patient/pa', ['k-a1', 'k-a2', 'na-a']],
  ['Observation', 'subject:Patient=pa', ['k-a1', 'k-a2', 'na-a']],
  ['Observation', 'subject:Group=g1', ['k-g']],
  ['Observation', 'subject=g1', ['k-g']],
  ['Observation', 'subject=https://ehr.example/fhir/Patient/pb', ['k-b1', 'x-nosys', 'x-pipe']],
  ['Observation', 'code=http://loinc.org|2823-3', ['k-a1', 'k-a2', 'k-b1', 'k-g']],
  ['Observation', 'code=2823-3', ['k-a1', 'k-a2', 'k-b1', 'k-g']],
  ['Observation', 'code=urn:local-lab|L-2951-2', ['na-a']],
  ['Observation', 'code=http://loinc.org|', ['k-a1', 'k-a2', 'k-b1', 'k-g', 'na-a']],
  ['Observation', 'code=|NOSYS', ['x-nosys']],
  ['Observation', 'code=NOSYS', ['x-nosys']],
  ['Observation', 'code=|2823-3', []],
  ['Observation', 'code=urn:a\\|b|c', ['x-pipe']],
  ['Observation', 'code=urn:a|b\\|c', ['x-pipe']],
  ['Observation', 'code=urn:a|b', []],
  ['Observation', 'code=2823-3,2951-2&patient=pa', ['k-a1', 'k-a2', 'na-a']],
  ['Observation', 'code=2823-3&patient=pa&status=final', ['k-a1']],
  ['Observation', 'status=http://hl7.org/fhir/observation-status|amended', ['k-a2']],
  ['Observation', 'status=urn:other|amended', []],
  ['Observation', 'category=laboratory&patient=pb', ['x-nosys', 'x-pipe']],
  ['Observation', 'category=http://terminology.hl7.org/CodeSystem/observation-category|vital-signs', ['k-b1']],
  // dates: a dateTime is the range its precision gives; a Period is [start, end) (open when a side is missing)
  ['Observation', 'date=2024-05-01', ['k-a1']],
  ['Observation', 'date=2024-05', ['k-a1', 'k-a2']],
  // na-a's period [04-30T22:00, 05-01T02:00:01) neither lies within 2024-05-01 nor reaches past it
  ['Observation', 'date=ge2024-05-01', ['k-a1', 'k-a2', 'k-b1', 'k-g']],
  ['Observation', 'date=gt2024-05-01', ['k-a2', 'k-b1', 'k-g']],
  ['Observation', 'date=lt2024-05-01', ['na-a']],
  ['Observation', 'date=le2024-05-01', ['k-a1', 'na-a']],
  ['Observation', 'date=ge2024-05-01&date=lt2024-06', ['k-a1', 'k-a2']],
  ['Observation', 'date=2024-06-10T10:00:00.123Z', ['k-b1']],
  ['Observation', 'date=gt2030-01-01', ['k-g']],
  ['Observation', 'date=2024-05-03,2024-06', ['k-a2', 'k-b1']],
  ['DiagnosticReport', 'patient=pa&code=http://loinc.org|24323-8&date=2024-05-01', ['dr-1']],
  ['DiagnosticReport', 'date=2024-05-02', []],
  ['Encounter', 'patient=pa', ['enc-a']],
  ['Encounter', 'status=finished', ['enc-b']],
  ['Encounter', 'patient=pb&status=in-progress', []],
  ['Communication', 'subject=Patient/pa', ['cm-1']],
  ['Communication', 'recipient=Practitioner/dr-x', ['cm-1']],
  ['Communication', 'recipient:PractitionerRole=role-y', ['cm-2']],
  ['Communication', 'status=completed,in-progress&priority=routine', ['cm-2']],
  ['Communication', 'based-on=CommunicationRequest/cr-1', ['cm-1']],
  ['Communication', 'based-on=cr-1', ['cm-1']],
  ['CommunicationRequest', 'based-on=ServiceRequest/sr-1&priority=http://hl7.org/fhir/request-priority|stat', ['cr-1']],
  ['CommunicationRequest', 'subject:Patient=pa&status=active&recipient=dr-x', ['cr-1']],
])('%s?%s', (type, query, expected) => {
  it('matches exactly', async () => {
    const { status, body } = await get<Bundle>(app, `/${type}?${query}`);
    expect(status).toBe(200);
    expect(sorted(body)).toEqual(expected);
    expect(body.total).toBe(expected.length);
  });
});

describe('strict by default (search.html#errors)', () => {
  it.each([
    ['Observation', 'patient.identifier=MRN-A', 'patient.identifier'],
    ['Observation', 'subject.name=x', 'subject.name'],
    ['Observation', 'code:text=potassium', 'code:text'],
    ['Observation', 'status:not=final', 'status:not'],
    ['Observation', 'subject:Foo=1', 'subject:Foo'],
    ['Observation', 'patient:Group=g1', 'patient:Group'],
    ['Observation', 'value-quantity=gt5', 'value-quantity'],
    ['Observation', '_include=Observation:patient', '_include'],
    ['Encounter', 'code=1', 'code'],
    ['Patient', 'name=Testpatient', 'name'],
  ])('%s?%s -> 400 naming %s', async (type, query, name) => {
    const { status, body } = await get<OperationOutcome>(app, `/${type}?${query}`);
    expect(status).toBe(400);
    expect(body.issue[0]).toMatchObject({ severity: 'error', code: 'not-supported' });
    expect(body.issue[0]?.diagnostics).toContain(name);
    expect(body.issue.some((i) => i.expression?.[0] === name)).toBe(true);
  });

  it('a name that does not look like a parameter is not shown back', async () => {
    const { status, body } = await get<OperationOutcome>(app, '/Observation?%3Cimg%20src%3Dx%3E=1&a%20b=2');
    expect(status).toBe(400);
    const text = JSON.stringify(body);
    expect(text).not.toContain('<img');
    expect(text).not.toContain('a b');
    expect(text).toContain('(a name not shown)');
  });

  it('values are never shown back', async () => {
    const { status, body } = await get<OperationOutcome>(app, '/Observation?patient.identifier=Synthetic-Secret-MRN&date=Synthetic-Secret-Date');
    expect(status).toBe(400);
    expect(JSON.stringify(body)).not.toContain('Synthetic-Secret');
  });

  it('Prefer: handling=lenient ignores them and says so', async () => {
    const { status, body } = await get<Bundle>(app, '/Observation?patient.identifier=MRN-A&patient=pb&code=NOSYS', { prefer: 'handling=lenient' });
    expect(status).toBe(200);
    expect(sorted(body)).toEqual(['x-nosys']);
    const outcome = body.entry?.find((e) => e.search?.mode === 'outcome')?.resource as OperationOutcome;
    expect(outcome.issue[0]?.diagnostics).toContain('patient.identifier');
  });
});

describe('impossible dates are refused, never moved', () => {
  it.each([
    '_lastUpdated=2024-00-15', '_lastUpdated=2024-13-01', '_lastUpdated=2024-02-30', '_lastUpdated=2023-02-29', '_lastUpdated=2024-04-31',
    '_lastUpdated=2024-01-00', '_lastUpdated=2024-01-01T24:00:00Z', '_lastUpdated=2024-01-01T10:60:00Z',
    '_lastUpdated=2024-01-01T10:00:60Z', '_lastUpdated=2024-01-01T10:00:00+25:00', '_lastUpdated=2024-01-01T10:00:00+01:75',
    'date=2024-00', 'date=ge2024-00-15', 'date=2024-02-30T10:00:00Z', 'date=sa2024-01-01', 'date=ap2024', 'date=2024-1-1',
  ])('Observation?%s -> 400', async (query) => {
    const { status, body } = await get<OperationOutcome>(app, `/Observation?${query}`);
    expect(status).toBe(400);
    expect(body.issue[0]?.diagnostics).toContain(query.slice(0, query.indexOf('=')));
  });

  it('2024-02-29 exists', async () => {
    expect((await get(app, '/Observation?date=2024-02-29')).status).toBe(200);
  });
});

describe('the CapabilityStatement is the parser\'s table', () => {
  it('every advertised parameter of every type is accepted by the parser, with a value of its type', async () => {
    const sample = { token: 'x', reference: 'Patient/x', date: '2024-01-01' } as const;
    for (const [type, params] of Object.entries(SEARCH_PARAMS)) {
      for (const p of params) {
        const { status } = await get(app, `/${type}?${p.name}=${encodeURIComponent(sample[p.type])}`);
        expect(status, `${type}?${p.name}`).toBe(200);
      }
    }
  });
});
