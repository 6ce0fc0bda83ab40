// Hostile input to the routes src/http serves: bad numbers, deep JSON, wrong media types, request
// text that must not come back, the Host header, and the headers every response carries.
import type { OperationOutcome } from 'fhir/r4.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { PUBLIC_BASE, buildApp, type TestApp } from './support.js';

let db: TestDatabase;
let t: TestApp;

const call = {
  caller: { type: 'pharmacist', name: 'Pat Pharmacist', callbackNumber: '+1 555 010 0199' },
  patient: { name: 'Alex Testpatient' },
  practice: 'north-cardiology', reason: 'Dose clarification', urgency: 'urgent',
};

beforeAll(async () => {
  db = await createTestDatabase();
  t = await buildApp(db);
});
afterAll(async () => {
  await t.close();
  await db.drop();
});

const outcomeOf = async (res: Response): Promise<OperationOutcome> => {
  expect(res.headers.get('content-type')).toContain('application/fhir+json');
  return (await res.json()) as OperationOutcome;
};
const post = (path: string, body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
  t.app.request(path, { method: 'POST', headers: { ...t.auth('admin'), ...headers }, body });

describe('numbers in query strings are integers in range', () => {
  it.each([
    '/inbox?limit=1.5', '/rejected?limit=2.5', '/inbox?limit=0', '/inbox?limit=1001', '/inbox?limit=-1', '/inbox?limit=1e3', '/inbox?limit=abc',
    '/rejected?limit=99999999999999999999', '/inbox?limit=%00', '/rejected?before=1.5', '/rejected?before=-1', '/inbox?after=1e3',
  ])('GET %s -> 400 naming the parameter', async (path) => {
    const res = await t.app.request(path, { headers: t.auth('admin') });
    expect(res.status).toBe(400);
    const oo = await outcomeOf(res);
    const name = /[?&](\w+)=/.exec(path)![1]!;
    expect(oo.issue[0]?.diagnostics).toContain(name);
    expect(oo.issue.some((i) => i.expression?.[0] === name)).toBe(true);
  });

  it.each(['/inbox?limit=1&limit=2', '/inbox?after=1&after=2', '/rejected?before=5&before=6'])('a repeated parameter %s -> 400', async (path) => {
    expect((await t.app.request(path, { headers: t.auth('admin') })).status).toBe(400);
  });

  it('a misspelt parameter is a 400, not a silent default page', async () => {
    const res = await t.app.request('/inbox?limt=5', { headers: t.auth('admin') });
    expect(res.status).toBe(400);
    expect((await outcomeOf(res)).issue[0]?.diagnostics).toContain('limt');
  });
});

describe('JSON bodies (POST /calls)', () => {
  // 50,000 levels need 100,000 bytes, more than a call note may have: a 413 before anything is parsed;
  // 30,000 levels fit in 64 KiB and are refused for their depth
  it.each([[30_000, 400], [50_000, 413], [33, 400]])('%i levels of nesting -> %i, not a stack overflow', async (levels, status) => {
    const res = await post('/calls', `{"caller":${'['.repeat(levels)}${']'.repeat(levels)}}`);
    expect(res.status).toBe(status);
    if (status === 400) expect((await outcomeOf(res)).issue[0]).toMatchObject({ code: 'too-costly', diagnostics: expect.stringContaining('deeper than 32') });
  });

  it('32 levels are read (and refused by the schema for what they hold)', async () => {
    const res = await post('/calls', `{"caller":${'['.repeat(31)}${']'.repeat(31)}}`);
    expect(res.status).toBe(400);
    expect((await outcomeOf(res)).issue[0]?.diagnostics).toBe('call note is not valid');
  });

  it('depth counts brackets outside strings only', async () => {
    const res = await post('/calls', JSON.stringify({ ...call, reason: '['.repeat(100) }));
    expect(res.status).toBe(201);
  });

  it.each([['text/plain'], ['application/x-www-form-urlencoded'], ['application/xml'], ['multipart/form-data; boundary=x'], ['application/jsonx'], ['']])('Content-Type %j -> 415', async (type) => {
    const res = await post('/calls', JSON.stringify(call), type ? { 'content-type': type } : {});
    expect(res.status).toBe(415);
    expect((await outcomeOf(res)).issue[0]?.code).toBe('not-supported');
  });

  it.each([['application/json; charset=utf-8'], ['application/fhir+json'], ['APPLICATION/JSON']])('Content-Type %j is JSON', async (type) => {
    expect((await post('/calls', JSON.stringify(call), { 'content-type': type })).status).toBe(201);
  });

  it('bad JSON is a 400 that quotes nothing of the body', async () => {
    const res = await post('/calls', '{"caller": Synthetic-Secret-Name');
    expect(res.status).toBe(400);
    const text = JSON.stringify(await outcomeOf(res));
    expect(text).toContain('not valid JSON');
    expect(text).not.toContain('Synthetic');
  });

  it('an unknown key is named by its path only when it looks like a field name, never quoted from the body', async () => {
    const res = await post('/calls', JSON.stringify({ ...call, ssn: '000-00-0000', 'Synthetic Secret Name': 1, caller: { ...call.caller, extra: true } }));
    expect(res.status).toBe(400);
    const oo = await outcomeOf(res);
    expect(JSON.stringify(oo)).not.toContain('Synthetic');
    expect(JSON.stringify(oo)).not.toContain('000-00-0000');
    expect(oo.issue).toEqual(expect.arrayContaining([
      expect.objectContaining({ expression: ['ssn'], diagnostics: 'unknown field' }),
      expect.objectContaining({ expression: ['caller.extra'], diagnostics: 'unknown field' }),
      expect.objectContaining({ expression: ['$this'], diagnostics: 'unknown field (name not shown)' }),
    ]));
  });

  it('an over-size body is a 413 before it is read', async () => {
    const res = await post('/calls', JSON.stringify({ ...call, reason: 'x'.repeat(70 * 1024) }));
    expect(res.status).toBe(413);
  });
});

describe('request text does not come back', () => {
  it.each([
    ['/fhir/Observation?x%20Synthetic-Secret=1', 'Synthetic-Secret'],
    ['/fhir/Observation?code=Synthetic-Secret-Value&x%3Cy=1', 'Synthetic-Secret-Value'],
    ['/fhir/Observation?%3Cscript%3E=1', '<script>'],
    ['/fhir/SyntheticSecretType', 'SyntheticSecretType'],
    ['/inbox/Synthetic-Secret', 'Synthetic-Secret'],
    ['/inbox?%3Cscript%3E=1', '<script>'],
  ])('GET %s', async (path, secret) => {
    const res = await t.app.request(path, { headers: t.auth('admin') });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(await res.text()).not.toContain(secret);
  });
});

describe('the public base URL comes from configuration', () => {
  it.each(['/fhir/metadata', '/fhir/Patient'])('GET %s with a forged Host builds nothing on it', async (path) => {
    const res = await t.app.request(`http://evil.example${path}`, { headers: { ...t.auth('admin'), host: 'evil.example', 'x-forwarded-host': 'evil.example' } });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).not.toContain('evil.example');
    expect(text).toContain(`${PUBLIC_BASE}/fhir`);
  });
});

describe('security headers on every response', () => {
  it.each([
    ['GET', '/healthz', 200], ['GET', '/fhir/metadata', 200], ['GET', '/inbox', 401], ['GET', '/nope', 404], ['POST', '/calls', 401], ['GET', '/inbox?limit=1.5', 400],
  ])('%s %s (%i)', async (method, path, status) => {
    const authed = status === 400;
    const res = await t.app.request(path, { method, headers: authed ? t.auth('admin') : {} });
    expect(res.status).toBe(status);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(res.headers.get('strict-transport-security')).toMatch(/^max-age=\d+/);
    expect(res.headers.get('cache-control')).toBe('no-store');
  });

  it('no HSTS when the API is not served over HTTPS', async () => {
    const plain = await buildApp(db, { hsts: false });
    try {
      const res = await plain.app.request('/healthz');
      expect(res.headers.get('strict-transport-security')).toBeNull();
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    } finally {
      await plain.close();
    }
  });
});

describe('errors carry a stable code and the path of the problem', () => {
  const code = (oo: OperationOutcome) => oo.issue[0]?.details?.coding?.[0];
  it.each([
    ['GET', '/inbox?limit=1.5', 'admin', undefined, 'ERR_QUERY_INVALID', 'limit'],
    ['GET', '/fhir/Observation?patient.identifier=x', 'admin', undefined, 'ERR_FHIR_SEARCH_PARAM_UNKNOWN', 'patient.identifier'],
    ['GET', '/fhir/Observation?date=2024-00-15', 'admin', undefined, 'ERR_FHIR_SEARCH_VALUE', 'date'],
    ['GET', '/inbox', undefined, undefined, 'ERR_AUTH_MISSING', undefined],
    ['GET', '/hl7x', 'admin', undefined, 'ERR_NO_ROUTE', undefined],
    ['POST', '/calls', 'admin', 'text/plain', 'ERR_CONTENT_TYPE', undefined],
    ['POST', '/calls', 'admin', 'application/json', 'ERR_JSON_TOO_DEEP', undefined],
    ['POST', '/calls', 'operator', 'application/json', 'ERR_CALL_INVALID', 'caller'],
  ] as const)('%s %s -> %s', async (method, path, who, type, expected, at) => {
    const body = type === 'application/json' ? (who === 'admin' ? '['.repeat(40) + ']'.repeat(40) : '{}') : type ? 'x' : undefined;
    const res = await t.app.request(path, { method, headers: { ...(who ? t.auth(who) : {}), ...(type ? { 'content-type': type } : {}) }, ...(body !== undefined ? { body } : {}) });
    const oo = await outcomeOf(res);
    expect(code(oo)).toEqual({ system: 'urn:switchboard:error-code', code: expected });
    if (at) expect(oo.issue.map((i) => i.expression?.[0])).toContain(at);
  });
});
