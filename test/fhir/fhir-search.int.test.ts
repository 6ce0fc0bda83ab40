import type { Bundle, Encounter, Observation, OperationOutcome, PractitionerRole, Resource, Schedule, ServiceRequest, Slot, Specimen } from 'fhir/r4.js';
import fc from 'fast-check';
import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { saveResources } from '../../src/fhir/index.js';
import { communication, communicationRequest, observation, patient } from './factories.js';
import { BASE, get, ids, mountFhir, outcomeEntry } from './http.js';

let db: TestDatabase;
let app: Hono;

const REQ = 'urn:switchboard:request';
const save = (r: Resource, iso: string) => saveResources(db.sql, [r], { now: new Date(iso) });

beforeAll(async () => {
  db = await createTestDatabase();
  app = mountFhir(db.sql);
  await save(communicationRequest('sr-1', { subject: { reference: 'Patient/s1' }, status: 'active', priority: 'stat', recipient: [{ reference: 'Practitioner/dr-x' }], identifier: [{ system: REQ, value: 'R1' }] }), '2024-05-01T08:00:00Z');
  await save(communicationRequest('sr-2', { subject: { reference: 'Patient/s1' }, status: 'completed', priority: 'routine', recipient: [{ reference: 'Practitioner/dr-y' }], identifier: [{ system: REQ, value: 'R2' }] }), '2024-05-01T12:00:00Z');
  await save(communicationRequest('sr-3', { subject: { reference: 'Patient/s2' }, status: 'active', priority: 'urgent', recipient: [{ reference: 'Practitioner/dr-x' }, { reference: 'PractitionerRole/role-z' }], identifier: [{ system: REQ, value: 'R3' }] }), '2024-05-02T08:00:00.500Z');
  await save(communicationRequest('sr-4', { subject: { reference: 'Group/g1' }, status: 'revoked', priority: 'asap', recipient: [], identifier: [{ system: 'urn:other', value: 'R4' }] }), '2024-05-03T00:00:00Z');
  await save(communication('cm-1', { subject: { reference: 'Patient/s1' }, status: 'completed', priority: 'stat', recipient: [{ reference: 'Practitioner/dr-x' }] }), '2024-05-01T09:00:00Z');
  await save(communication('cm-2', { subject: { reference: 'Patient/s2' }, status: 'in-progress', priority: 'routine', recipient: [{ reference: 'Practitioner/dr-y' }] }), '2024-05-01T10:00:00Z');
});
afterAll(async () => {
  await db?.drop();
});

describe('GET /fhir/CommunicationRequest?...', () => {
  it.each([
    ['', ['sr-4', 'sr-3', 'sr-2', 'sr-1']],
    ['patient=s1', ['sr-2', 'sr-1']],
    ['patient=Patient/s1', ['sr-2', 'sr-1']],
    ['patient=s1,s2', ['sr-3', 'sr-2', 'sr-1']],
    ['subject=Patient/s2', ['sr-3']],
    ['subject=g1', ['sr-4']],
    ['subject=Group/g1', ['sr-4']],
    ['status=active', ['sr-3', 'sr-1']],
    ['status=active,revoked', ['sr-4', 'sr-3', 'sr-1']],
    ['status=active&patient=s1', ['sr-1']],
    ['priority=stat', ['sr-1']],
    ['priority=urgent,asap', ['sr-4', 'sr-3']],
    ['recipient=Practitioner/dr-x', ['sr-3', 'sr-1']],
    ['recipient=role-z', ['sr-3']],
    ['recipient=Practitioner/dr-x&recipient=PractitionerRole/role-z', ['sr-3']],
    ['recipient=Practitioner/dr-y,PractitionerRole/role-z', ['sr-3', 'sr-2']],
    ['identifier=urn:switchboard:request|R1', ['sr-1']],
    ['identifier=R4', ['sr-4']],
    ['identifier=urn:switchboard:request|', ['sr-3', 'sr-2', 'sr-1']],
    ['_id=sr-1,sr-3', ['sr-3', 'sr-1']],
    ['_lastUpdated=2024-05-01', ['sr-2', 'sr-1']],
    ['_lastUpdated=eq2024-05-01', ['sr-2', 'sr-1']],
    ['_lastUpdated=gt2024-05-01', ['sr-4', 'sr-3']],
    ['_lastUpdated=ge2024-05-01T12:00:00Z', ['sr-4', 'sr-3', 'sr-2']],
    ['_lastUpdated=gt2024-05-01T12:00:00Z', ['sr-4', 'sr-3']],
    ['_lastUpdated=lt2024-05-01T12:00:00Z', ['sr-1']],
    ['_lastUpdated=le2024-05-01T12:00:00Z', ['sr-2', 'sr-1']],
    ['_lastUpdated=ge2024-05-01T10:00:00Z&_lastUpdated=lt2024-05-02', ['sr-2']],
    ['_lastUpdated=2024-05-02T08:00:00.5Z', ['sr-3']],
    ['_lastUpdated=2024-05-02T10:00:00%2B02:00', ['sr-3']],
    ['_lastUpdated=2024-05-02T10:00:00+02:00', ['sr-3']],
    ['_lastUpdated=lt2024-05-01T11:30:00-01:00', ['sr-2', 'sr-1']],
    ['_lastUpdated=2024-05', ['sr-4', 'sr-3', 'sr-2', 'sr-1']],
    ['_lastUpdated=lt2024', []],
    ['_sort=_lastUpdated', ['sr-1', 'sr-2', 'sr-3', 'sr-4']],
    ['_sort=-_lastUpdated', ['sr-4', 'sr-3', 'sr-2', 'sr-1']],
    ['_format=json&status=revoked', ['sr-4']],
  ])('?%s', async (query, expected) => {
    const { status, body } = await get<Bundle>(app, `/CommunicationRequest?${query}`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ resourceType: 'Bundle', type: 'searchset', total: expected.length });
    expect(ids(body)).toEqual(expected);
    expect(outcomeEntry(body)).toBeUndefined();
  });

  it('returns entries with fullUrl, search.mode match and a self link', async () => {
    const { body } = await get<Bundle>(app, '/CommunicationRequest?patient=s1&status=active');
    expect(body.entry?.[0]).toMatchObject({ fullUrl: `${BASE}/CommunicationRequest/sr-1`, search: { mode: 'match' }, resource: { resourceType: 'CommunicationRequest', id: 'sr-1', meta: { versionId: '1' } } });
    expect(body.link).toEqual([{ relation: 'self', url: `${BASE}/CommunicationRequest?patient=s1&status=active` }]);
  });

  it('_summary=count returns the total only', async () => {
    const { body } = await get<Bundle>(app, '/CommunicationRequest?status=active&_summary=count');
    expect(body).toMatchObject({ type: 'searchset', total: 2 });
    expect(body.entry).toBeUndefined();
  });

  it('_count=0 is a count as well', async () => {
    const { body } = await get<Bundle>(app, '/CommunicationRequest?_count=0');
    expect(body.total).toBe(4);
    expect(body.entry).toBeUndefined();
  });

  it('_count above 200 is clamped, and the self link says so', async () => {
    const { body } = await get<Bundle>(app, '/CommunicationRequest?_count=5000');
    expect(ids(body)).toHaveLength(4);
    expect(body.link?.[0]?.url).toBe(`${BASE}/CommunicationRequest?_count=200`);
  });

  it('with Prefer: handling=lenient, ignores an unknown parameter and reports it in an outcome entry', async () => {
    const { status, body } = await get<Bundle>(app, '/CommunicationRequest?status=revoked&colour=blue&status:not=active', { prefer: 'handling=lenient' });
    expect(status).toBe(200);
    expect(ids(body)).toEqual(['sr-4']);
    const oo = outcomeEntry(body);
    expect(oo?.issue.map((i) => i.diagnostics)).toEqual([
      'Search parameter colour is not supported for CommunicationRequest and was ignored',
      'Search parameter status:not is not supported for CommunicationRequest and was ignored',
    ]);
    expect(oo?.issue[0]).toMatchObject({ severity: 'warning', code: 'not-supported' });
    expect(body.link?.[0]?.url).toBe(`${BASE}/CommunicationRequest?status=revoked`);
  });

  it('with Prefer: handling=strict an unknown parameter is a 400', async () => {
    const { status, body } = await get<OperationOutcome>(app, '/CommunicationRequest?colour=blue', { prefer: 'return=minimal, handling=strict' });
    expect(status).toBe(400);
    expect(body.issue[0]).toMatchObject({ severity: 'error', code: 'not-supported' });
    expect(body.issue[0]?.diagnostics).toContain('colour');
  });

  it('with Prefer: handling=lenient it is ignored', async () => {
    const { status } = await get<Bundle>(app, '/CommunicationRequest?colour=blue', { prefer: 'handling=lenient' });
    expect(status).toBe(200);
  });
});

describe('GET /fhir/Communication?...', () => {
  it.each([
    ['', ['cm-2', 'cm-1']],
    ['patient=s1', ['cm-1']],
    ['subject=Patient/s2', ['cm-2']],
    ['status=completed', ['cm-1']],
    ['priority=routine', ['cm-2']],
    ['recipient=Practitioner/dr-x', ['cm-1']],
    ['_lastUpdated=ge2024-05-01T09:30:00Z', ['cm-2']],
    ['patient=s1&priority=routine', []],
  ])('?%s', async (query, expected) => {
    const { body } = await get<Bundle>(app, `/Communication?${query}`);
    expect(ids(body)).toEqual(expected);
    expect(body.total).toBe(expected.length);
  });
});

describe('search on the resources requests point to', () => {
  const encounter: Encounter = { resourceType: 'Encounter', id: 'enc-1', status: 'in-progress', class: { code: 'IMP' }, subject: { reference: 'Patient/px' }, identifier: [{ system: 'urn:visit', value: 'V1' }] };
  const serviceRequest: ServiceRequest = { resourceType: 'ServiceRequest', id: 'sq-1', status: 'active', intent: 'order', priority: 'stat', subject: { reference: 'Patient/px' }, identifier: [{ system: 'urn:placer', value: 'O1' }] };
  const specimen: Specimen = { resourceType: 'Specimen', id: 'sp-1', status: 'available', subject: { reference: 'Patient/px' }, identifier: [{ system: 'urn:specimen', value: 'S1' }] };
  const role: PractitionerRole = { resourceType: 'PractitionerRole', id: 'role-1', identifier: [{ system: 'urn:role', value: 'cardiology-oncall' }] };
  const schedule: Schedule = { resourceType: 'Schedule', id: 'sch-1', actor: [{ reference: 'PractitionerRole/role-1' }], identifier: [{ system: 'urn:schedule', value: 'SC1' }] };
  const slot: Slot = { resourceType: 'Slot', id: 'slot-1', schedule: { reference: 'Schedule/sch-1' }, status: 'busy', start: '2024-05-01T00:00:00Z', end: '2024-05-01T08:00:00Z', identifier: [{ system: 'urn:slot', value: 'SL1' }] };

  const labResult: Observation = { ...observation('ob-1', 'Patient/px'), identifier: [{ system: 'urn:lab', value: 'L1' }] };

  beforeAll(async () => {
    await saveResources(db.sql, [patient('px', 'PX-1'), labResult, encounter, serviceRequest, specimen, role, schedule, slot], { now: new Date('2024-05-05T00:00:00Z') });
  });

  it.each([
    ['Patient', '_id=px', 'px'],
    ['Patient', 'identifier=urn:oid:2.16.840.1.113883.19.5|PX-1', 'px'],
    ['Observation', 'patient=px', 'ob-1'],
    ['Observation', 'identifier=urn:lab|L1', 'ob-1'],
    ['Observation', 'status=final&subject=Patient/px', 'ob-1'],
    ['Encounter', 'patient=Patient/px', 'enc-1'],
    ['Encounter', 'identifier=V1', 'enc-1'],
    ['ServiceRequest', 'patient=px&priority=stat', 'sq-1'],
    ['Specimen', 'patient=px', 'sp-1'],
    ['PractitionerRole', 'identifier=urn:role|cardiology-oncall', 'role-1'],
    ['Schedule', '_id=sch-1', 'sch-1'],
    ['Slot', 'status=busy', 'slot-1'],
    ['DiagnosticReport', 'patient=px', undefined],
  ])('%s?%s', async (type, query, expected) => {
    const { status, body } = await get<Bundle>(app, `/${type}?${query}`);
    expect(status).toBe(200);
    expect(ids(body)).toEqual(expected ? [expected] : []);
  });

  it('Patient has no patient/status parameters: refused, or with handling=lenient ignored and reported', async () => {
    expect((await get(app, '/Patient?status=active&_id=px')).status).toBe(400);
    const { body } = await get<Bundle>(app, '/Patient?status=active&_id=px', { prefer: 'handling=lenient' });
    expect(ids(body)).toEqual(['px']);
    expect(outcomeEntry(body)?.issue[0]?.diagnostics).toContain('status');
  });
});

describe('any search', () => {
  // search.html#errors: a search the server cannot run is a 400 with an OperationOutcome, never a 500
  it('property: random parameters, prefixes, tokens and bytes give 200 or 400 with FHIR JSON, never 5xx', async () => {
    const names = ['patient', 'subject', 'status', 'priority', 'recipient', '_lastUpdated', '_count', '_summary', '_id', 'identifier', '_sort', '_cursor', 'status:not', 'foo', '', '_format', 'category', 'code'];
    const value = fc.oneof(fc.string({ maxLength: 20 }), fc.string({ unit: 'binary', maxLength: 20 }),
      fc.constantFrom('gt2024-01-01', 'eq2024', 'ap2024', 'sa2024-13-01', '2024-02-30', '-1', '99999999999999999999', 'Patient/x/y', '|', 'a|b|c', ',,', '%00', '\u0000', 'x'.repeat(3000)));
    const types = ['CommunicationRequest', 'Communication', 'Patient', 'Observation', 'Encounter', 'Slot', 'Foo'];
    await fc.assert(fc.asyncProperty(fc.constantFrom(...types), fc.array(fc.tuple(fc.constantFrom(...names), value), { maxLength: 5 }), async (type, params) => {
      const res = await app.request(`${BASE}/${type}?${new URLSearchParams(params).toString()}`);
      expect([200, 400, 404]).toContain(res.status);
      expect(res.headers.get('content-type')).toBe('application/fhir+json; charset=utf-8');
    }), { numRuns: 400 });
  });
});
