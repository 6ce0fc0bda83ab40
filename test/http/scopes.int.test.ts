// The scope table applied by the gate: every non-public route needs a token; operation scopes; SMART v2
// letters (r reads, s searches); patient/ scopes see their launch patient only; user/ scopes nothing yet.
import type { Bundle } from 'fhir/r4.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { saveResources } from '../../src/fhir/index.js';
import { routeTable } from '../../src/http/index.js';
import { observation, patient } from '../fhir/factories.js';
import { buildApp, type TestApp } from './support.js';

let db: TestDatabase;
let t: TestApp;

beforeAll(async () => {
  db = await createTestDatabase();
  t = await buildApp(db);
  await saveResources(db.sql, [
    patient('pa', 'MRN-A'), patient('pb', 'MRN-B'), observation('ob-a', 'Patient/pa'), observation('ob-b', 'Patient/pb'),
    { resourceType: 'Practitioner', id: 'dr-x' },
  ], { now: new Date('2024-05-01T00:00:00Z') });
});
afterAll(async () => {
  await t.close();
  await db.drop();
});

const as = async (scopes: string[], path: string, opts: { patient?: string; method?: string } = {}): Promise<Response> => {
  const token = await t.token(scopes, opts.patient ? { patient: opts.patient } : {});
  return t.app.request(path, { method: opts.method ?? 'GET', headers: { authorization: `Bearer ${token}` } });
};
const matches = async (res: Response): Promise<string[]> => ((await res.json()) as Bundle).entry?.map((e) => e.resource?.id ?? '').sort() ?? [];

describe('no token', () => {
  const rows = routeTable({ maxHl7Bytes: 1, maxCallBytes: 1 });
  it.each(rows.filter((r) => r.access.kind !== 'public').map((r) => [r.method, r.path] as const))('%s %s -> 401', async (method, pattern) => {
    const res = await t.app.request(pattern.replace(/:\w+/g, 'Patient').replace(/\*$/, 'x'), { method });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
  });
  it.each(['/healthz', '/readyz', '/metrics', '/fhir/metadata', '/openapi.json'])('GET %s is public', async (path) => {
    expect((await t.app.request(path)).status).toBe(200);
  });
  it('nothing is served under /.well-known yet: no row, so 404 before any token is asked for (not 401)', async () => {
    expect((await t.app.request('/.well-known/smart-configuration')).status).toBe(404);
  });
});

describe('operation scopes', () => {
  it.each([
    [['inbox.read'], 'GET', '/inbox', 200],
    [['inbox.read'], 'POST', '/inbox/1/retry', 403],
    [['inbox.write'], 'GET', '/rejected', 403],
    [['hl7.write'], 'GET', '/inbox', 403],
    [['admin'], 'GET', '/rejected', 200],
    [['patient/*.cruds'], 'GET', '/inbox', 403],
    [['system/*.cruds'], 'GET', '/inbox', 403],
    [['oncall.read'], 'PUT', '/schedule', 403],
    [['inbox.read'], 'GET', '/oncall?role=x', 403],
    [['inbox.read'], 'GET', '/schedule', 403],
    [['oncall.read'], 'DELETE', '/schedule/groups/supervisors', 403],
    [['oncall.read'], 'POST', '/schedule/import', 403],
    [['oncall.read'], 'PUT', '/schedule/roles/r1', 403],
    [['oncall.write'], 'GET', '/schedule/lint', 403],
    [['oncall.write'], 'GET', '/oncall/next?role=x', 403],
    // past the gate: no schedule is stored
    [['oncall.read'], 'GET', '/schedule', 404],
    [['admin'], 'GET', '/schedule/lint', 404],
  ])('%j %s %s -> %i', async (scopes, method, path, status) => {
    const res = await as(scopes, path, { method });
    expect(res.status).toBe(status);
    if (status === 403) expect(JSON.stringify(await res.json())).toMatch(/lacks the '[a-z.]+' scope/);
  });
});

describe('SMART letters: r reads, s searches', () => {
  it.each([
    [['system/Observation.r'], '/fhir/Observation/ob-a', 200],
    [['system/Observation.r'], '/fhir/Observation', 403],
    [['system/Observation.s'], '/fhir/Observation', 200],
    [['system/Observation.s'], '/fhir/Observation/ob-a', 403],
    [['system/Observation.rs'], '/fhir/Patient/pa', 403],
    [['system/*.rs'], '/fhir/Patient/pa', 200],
    [['user/Observation.rs'], '/fhir/Observation', 403],
    [['user/*.cruds'], '/fhir/Observation/ob-a', 403],
  ])('%j GET %s -> %i', async (scopes, path, status) => {
    expect((await as(scopes, path)).status).toBe(status);
  });
});

describe('patient/ scopes see the launch patient only', () => {
  it('search is limited to the patient, whatever is asked', async () => {
    expect(await matches(await as(['patient/Observation.rs'], '/fhir/Observation', { patient: 'pa' }))).toEqual(['ob-a']);
    expect(await matches(await as(['patient/Observation.rs'], '/fhir/Observation?patient=pb', { patient: 'pa' }))).toEqual([]);
    expect(await matches(await as(['patient/*.s'], '/fhir/Patient', { patient: 'pb' }))).toEqual(['pb']);
  });

  it('another patient\'s resource reads as unknown (404, not 403: its existence is not told)', async () => {
    expect((await as(['patient/Observation.rs'], '/fhir/Observation/ob-a', { patient: 'pa' })).status).toBe(200);
    expect((await as(['patient/Observation.rs'], '/fhir/Observation/ob-b', { patient: 'pa' })).status).toBe(404);
    expect((await as(['patient/Patient.r'], '/fhir/Patient/pa', { patient: 'pa' })).status).toBe(200);
    expect((await as(['patient/Patient.r'], '/fhir/Patient/pb', { patient: 'pa' })).status).toBe(404);
  });

  it('types that cannot be limited to a patient are refused', async () => {
    expect((await as(['patient/*.rs'], '/fhir/Practitioner', { patient: 'pa' })).status).toBe(403);
    expect((await as(['patient/*.rs'], '/fhir/Practitioner/dr-x', { patient: 'pa' })).status).toBe(403);
  });

  it('without a patient claim, a patient/ scope grants nothing', async () => {
    expect((await as(['patient/Observation.rs'], '/fhir/Observation')).status).toBe(403);
  });

  it('the total counts only the patient\'s resources', async () => {
    const res = await as(['patient/Observation.s'], '/fhir/Observation?_summary=count', { patient: 'pb' });
    expect(((await res.json()) as Bundle).total).toBe(1);
  });
});
