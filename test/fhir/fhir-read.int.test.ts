import type { CapabilityStatement, OperationOutcome, Patient } from 'fhir/r4.js';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { Hono as HonoApp } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { connect } from '../../src/store/db.js';
import { SUPPORTED_TYPES, createFhirApp, saveResources } from '../../src/fhir/index.js';
import { createOnError, onError } from '../../src/http/error-response.js';
import { conflict } from '../../src/outcome/index.js';
import { communicationRequest, patient } from './factories.js';
import { BASE, get, mountFhir } from './http.js';

let db: TestDatabase;
let app: HonoApp;

beforeAll(async () => {
  db = await createTestDatabase();
  app = mountFhir(db.sql);
  await saveResources(db.sql, [patient('rd-1', 'RD-1'), communicationRequest('cr-rd')], { now: new Date('2024-04-01T10:00:00Z') });
  await saveResources(db.sql, [communicationRequest('cr-rd', { status: 'completed' })], { now: new Date('2024-04-01T11:00:00Z') });
});
afterAll(async () => {
  await db?.drop();
});

describe('GET /fhir/:type/:id', () => {
  it('returns the current version with ETag and Last-Modified', async () => {
    const { status, headers, body } = await get<Patient>(app, '/Patient/rd-1');
    expect(status).toBe(200);
    expect(body).toMatchObject({ resourceType: 'Patient', id: 'rd-1', meta: { versionId: '1', lastUpdated: '2024-04-01T10:00:00.000Z' } });
    expect(headers.get('etag')).toBe('W/"1"');
    expect(headers.get('last-modified')).toBe('Mon, 01 Apr 2024 10:00:00 GMT');
  });

  it('returns the latest version after an update', async () => {
    const { headers, body } = await get(app, '/CommunicationRequest/cr-rd');
    expect(body).toMatchObject({ status: 'completed', meta: { versionId: '2' } });
    expect(headers.get('etag')).toBe('W/"2"');
  });
});

describe('errors are OperationOutcomes with the right status', () => {
  it.each([
    ['/Patient/missing', 404, 'not-found', 'Patient'],
    ['/Foo/1', 400, 'not-supported', 'Resource type'],
    ['/Foo', 400, 'not-supported', 'Resource type'],
    ['/Medication/1', 400, 'not-supported', 'Resource type'],
    ['/Patient/bad%20id', 400, 'invalid', 'id'],
    ['/CommunicationRequest?_count=abc', 400, 'invalid', '_count'],
    ['/CommunicationRequest?_count=-1', 400, 'invalid', '_count'],
    ['/CommunicationRequest?_count=1&_count=2', 400, 'invalid', '_count'],
    ['/CommunicationRequest?_lastUpdated=yesterday', 400, 'invalid', '_lastUpdated'],
    ['/CommunicationRequest?_lastUpdated=ne2024-01-01', 400, 'invalid', '_lastUpdated'],
    ['/CommunicationRequest?_lastUpdated=2024-02-30', 400, 'invalid', '_lastUpdated'],
    ['/CommunicationRequest?_lastUpdated=2024-01-01T25:00:00Z', 400, 'invalid', '_lastUpdated'],
    ['/CommunicationRequest?_cursor=not-a-cursor', 400, 'invalid', '_cursor'],
    ['/CommunicationRequest?_sort=status', 400, 'invalid', '_sort'],
    ['/CommunicationRequest?_summary=text', 400, 'invalid', '_summary'],
    ['/CommunicationRequest?patient=Practitioner/1', 400, 'invalid', 'patient'],
    ['/CommunicationRequest?recipient=not%20a%20ref', 400, 'invalid', 'recipient'],
    ['/CommunicationRequest?_id=a%20b', 400, 'invalid', '_id'],
    ['/CommunicationRequest?identifier=|', 400, 'invalid', 'identifier'],
  ])('GET %s -> %i %s', async (path, status, code, named) => {
    const r = await get<OperationOutcome>(app, path);
    expect(r.status).toBe(status);
    expect(r.body.resourceType).toBe('OperationOutcome');
    expect(r.body.issue[0]).toMatchObject({ severity: 'error', code });
    expect(r.body.issue[0]?.diagnostics).toContain(named);
  });

  it.each([['/Patient/Synthetic-Secret-Id', 'Synthetic-Secret-Id'], ['/SyntheticSecretType/1', 'SyntheticSecretType'], ['/SyntheticSecretType', 'SyntheticSecretType']])('GET %s does not echo the id or the type name', async (path, secret) => {
    const r = await get<OperationOutcome>(app, path);
    expect(r.status).toBeGreaterThanOrEqual(400);
    expect(JSON.stringify(r.body)).not.toContain(secret);
  });

  it('does not echo a bad value', async () => {
    const r = await get<OperationOutcome>(app, '/CommunicationRequest?_lastUpdated=Synthetic-Secret-Name');
    expect(JSON.stringify(r.body)).not.toContain('Synthetic-Secret-Name');
  });

  it('a store that cannot be reached is a 503 with Retry-After, without stack or message', async () => {
    const dead = connect(db.url, { max: 1 });
    await dead.end();
    const broken = new Hono().onError(onError).route('/fhir', createFhirApp({ sql: dead, baseUrl: BASE }));
    const r = await get<OperationOutcome>(broken, '/Patient/rd-1');
    expect(r.status).toBe(503);
    expect(r.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(r.body).toEqual({
      resourceType: 'OperationOutcome',
      issue: [{ severity: 'error', code: 'transient', diagnostics: 'store unavailable; retry later', details: { coding: [{ system: 'urn:switchboard:error-code', code: 'ERR_STORE_UNAVAILABLE' }] } }],
    });
  });
});

describe('onError (src/http/error-response.ts)', () => {
  const app2 = new Hono();
  app2.onError(createOnError());
  app2.get('/http-error', () => { throw conflict('version conflict'); });
  app2.get('/hono', () => { throw new HTTPException(401, { res: new Response(null, { status: 401, headers: { 'www-authenticate': 'Bearer' } }) }); });
  app2.get('/plain', () => { throw new Error('patient Synthetic Testpatient exploded'); });

  it.each([
    ['/http-error', 409, 'conflict', 'version conflict'],
    ['/hono', 401, 'login', 'HTTP 401'],
    ['/plain', 500, 'exception', 'Internal server error'],
  ])('%s -> %i %s', async (path, status, code, diagnostics) => {
    const res = await app2.request(path);
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toBe('application/fhir+json; charset=utf-8');
    const body = (await res.json()) as OperationOutcome;
    expect(body.issue).toEqual([{ severity: 'error', code, diagnostics, ...(path === '/http-error' ? { details: { coding: [{ system: 'urn:switchboard:error-code', code: 'ERR_CONFLICT' }] } } : {}) }]);
    if (status === 401) expect(res.headers.get('www-authenticate')).toBe('Bearer');
  });
});

describe('GET /fhir/metadata', () => {
  it('is a CapabilityStatement for what the server supports', async () => {
    const { status, body } = await get<CapabilityStatement>(app, '/metadata');
    expect(status).toBe(200);
    expect(body).toMatchObject({
      resourceType: 'CapabilityStatement',
      status: 'active',
      kind: 'instance',
      fhirVersion: '4.0.1',
      format: ['json'],
      software: { name: 'Switchboard' },
      implementation: { url: BASE },
    });
    const rest = body.rest?.[0];
    expect(rest?.mode).toBe('server');
    expect(rest?.security?.service?.[0]?.coding?.[0]).toEqual({ system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'SMART-on-FHIR' });
    expect(rest?.security?.description).toMatch(/bearer/i);
    expect(rest?.security?.description).toMatch(/JWT/);
    expect(rest?.resource?.map((r) => r.type)).toEqual([...SUPPORTED_TYPES, 'AuditEvent']); // AuditEvent: the audit trail (src/fhir/audit-event.ts)
    const cr = rest?.resource?.find((r) => r.type === 'CommunicationRequest');
    expect(cr?.interaction?.map((i) => i.code)).toEqual(['read', 'search-type']);
    expect(cr?.searchParam?.map((p) => p.name).sort()).toEqual(['_id', '_lastUpdated', 'based-on', 'identifier', 'patient', 'priority', 'recipient', 'status', 'subject']);
    expect(rest?.resource?.find((r) => r.type === 'Patient')?.searchParam?.map((p) => p.name)).toEqual(['_id', '_lastUpdated', 'identifier', 'birthdate']);
  });

  it('uses the configured base URL', async () => {
    const configured = new Hono().onError(onError).route('/fhir', createFhirApp({ sql: db.sql, baseUrl: 'https://sb.example/fhir/' }));
    const { body } = await get<CapabilityStatement>(configured, '/metadata');
    expect(body.implementation?.url).toBe('https://sb.example/fhir');
  });
});
