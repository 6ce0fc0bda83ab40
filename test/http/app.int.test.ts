// The HTTP surface in process (app.request), over a real PostgreSQL.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InboxWorker } from '../../src/pipeline/worker.js';
import { silentLogger } from '../../src/obs/log.js';
import { DEFAULT_SITE_CONFIG } from '../../src/mapping/index.js';
import { saveSchedule } from '../../src/oncall/index.js';
import { parseScheduleFile } from '../../src/routing/index.js';
import { readFileSync } from 'node:fs';
import { readAck } from '../../src/hl7/index.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { buildApp, type TestApp } from './support.js';
import { withControlId } from '../support/messages.js';
import { fixture, toWire } from '../support/fixtures.js';

let db: TestDatabase;
let t: TestApp;
let app: TestApp['app'];
let worker: InboxWorker;

const call = {
  caller: { type: 'pharmacist', name: 'Pat Pharmacist', callbackNumber: '+1 555 010 0199' },
  patient: { name: 'Alex Testpatient', birthDate: '1980-02-29', mrn: 'MRN100234' },
  practice: 'north-cardiology', service: 'cardiology', reason: 'Dose clarification for apixaban after discharge', urgency: 'urgent',
};

beforeAll(async () => {
  db = await createTestDatabase();
  const parsed = parseScheduleFile(readFileSync(new URL('../../fixtures/schedules/example.json', import.meta.url), 'utf8'), 'example.json');
  if (!parsed.ok) throw new Error('example schedule does not parse');
  const saved = await saveSchedule(db.sql, parsed.value, { by: 'test', now: new Date('2025-03-10T12:00:00Z') });
  if (!saved.ok) throw new Error('example schedule not stored');
  t = await buildApp(db);
  app = t.app;
  // routing "now" inside the example schedule's weeks: Wed 2025-03-12 23:30 New York
  worker = new InboxWorker({ sql: db.sql, config: DEFAULT_SITE_CONFIG, log: silentLogger, metrics: t.metrics, claimMs: 60_000, pollMs: 50, maxAttempts: 3, appName: 'SWITCHBOARD', schedules: t.schedules, now: () => new Date('2025-03-13T03:30:00Z') });
});
afterAll(async () => {
  await t.close();
  await db.drop();
});

const auth = (who: string) => t.auth(who);

describe('open routes', () => {
  it.each(['/healthz', '/readyz'])('%s answers 200 without a token', async (p) => {
    expect((await app.request(p)).status).toBe(200);
  });
});

describe('access', () => {
  it.each([
    ['no token', 401, {}],
    ['a malformed header', 401, { authorization: 'Basic abc' }],
    ['a garbage token', 401, { authorization: 'Bearer abc.def.ghi' }],
  ])('%s -> %i with an OperationOutcome and WWW-Authenticate', async (_n, status, headers) => {
    const res = await app.request('/inbox', { headers });
    expect(res.status).toBe(status);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(((await res.json()) as { resourceType: string }).resourceType).toBe('OperationOutcome');
  });
  it('a token without the scope -> 403', async () => {
    const res = await app.request('/hl7', { method: 'POST', headers: auth('operator'), body: 'x' });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ issue: [{ code: 'forbidden' }] });
  });
  it('FHIR reads need a matching SMART scope', async () => {
    expect((await app.request('/fhir/CommunicationRequest', { headers: auth('reader') })).status).toBe(200);
    expect((await app.request('/fhir/Patient', { headers: auth('reader') })).status).toBe(403);
    expect((await app.request('/fhir/metadata', { headers: auth('reader') })).status).toBe(200);
  });
});

describe('POST /hl7', () => {
  it('stores the message and returns the AA ACK', async () => {
    const res = await app.request('/hl7', { method: 'POST', headers: auth('feed'), body: withControlId('spine/oru-r01.hl7', 'HTTP1') });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-hl7-ack-code')).toBe('AA');
    expect(readAck(await res.text())).toMatchObject({ code: 'AA', controlId: 'HTTP1' });
  });
  it('returns the same ACK for a resend', async () => {
    const a = await (await app.request('/hl7', { method: 'POST', headers: auth('feed'), body: withControlId('spine/adt-a01.hl7', 'HTTP2') })).text();
    const b = await (await app.request('/hl7', { method: 'POST', headers: auth('feed'), body: withControlId('spine/adt-a01.hl7', 'HTTP2') })).text();
    expect(b).toBe(a);
  });
  it('answers bad input 400 with the AR ACK', async () => {
    const res = await app.request('/hl7', { method: 'POST', headers: auth('feed'), body: toWire(fixture('spine/bad/unknown-type.hl7')) });
    expect(res.status).toBe(400);
    expect(readAck(await res.text())).toMatchObject({ code: 'AR', controlId: 'BADTYPE1' });
  });
  it('refuses a body over the limit with 413', async () => {
    const res = await app.request('/hl7', { method: 'POST', headers: { ...auth('feed'), 'content-length': String(65 * 1024) }, body: Buffer.alloc(65 * 1024, 0x41) });
    expect(res.status).toBe(413);
  });
});

describe('POST /calls', () => {
  it('stores a valid call note: 201 with the id', async () => {
    const res = await app.request('/calls', { method: 'POST', headers: { ...auth('operator'), 'content-type': 'application/json' }, body: JSON.stringify(call) });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ id: expect.stringMatching(/^\d+$/), duplicate: false });
  });
  it('recognises a resend by its Idempotency-Key', async () => {
    const h = { ...auth('operator'), 'content-type': 'application/json', 'idempotency-key': 'call-7f3a' };
    const a = await (await app.request('/calls', { method: 'POST', headers: h, body: JSON.stringify(call) })).json() as { id: string };
    const res = await app.request('/calls', { method: 'POST', headers: h, body: JSON.stringify(call) });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ id: a.id, duplicate: true });
  });
  it('refuses the same Idempotency-Key with another body: 409 naming the conflict, the new note not stored beside the first', async () => {
    const h = { ...auth('operator'), 'content-type': 'application/json', 'idempotency-key': 'call-reused-9c1' };
    const first = await app.request('/calls', { method: 'POST', headers: h, body: JSON.stringify(call) });
    expect(first.status).toBe(201);
    const other = { ...call, patient: { name: 'Sam Otherpatient', birthDate: '1971-07-04', mrn: 'MRN555001' }, urgency: 'stat', reason: 'Chest pain radiating to the left arm' };
    const res = await app.request('/calls', { method: 'POST', headers: h, body: JSON.stringify(other) });
    expect(res.status).toBe(409);
    expect(res.headers.get('content-type')).toContain('application/fhir+json');
    const text = await res.text();
    expect(JSON.parse(text)).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ code: 'conflict', diagnostics: expect.stringMatching(/Idempotency-Key was already used for a different request body/) }] });
    for (const v of ['Otherpatient', 'MRN555001', 'Chest pain', 'call-reused-9c1']) expect(text).not.toContain(v);
    const stored = await db.sql`SELECT id FROM inbox WHERE source = 'calls' AND control_id = 'call-reused-9c1'`;
    expect(stored).toHaveLength(1);
    // the first body with its key is still a duplicate, the same body in another key order too
    const again = await app.request('/calls', { method: 'POST', headers: h, body: JSON.stringify(Object.fromEntries(Object.entries(call).reverse())) });
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ duplicate: true });
  });
  it('refuses a reused key with another body also when both arrive at once (one stored, one 409)', async () => {
    const h = { ...auth('operator'), 'content-type': 'application/json', 'idempotency-key': 'call-race-11' };
    const bodies = Array.from({ length: 6 }, (_, i) => JSON.stringify({ ...call, reason: `Reason number ${i}` }));
    const statuses = await Promise.all(bodies.map(async (body) => (await app.request('/calls', { method: 'POST', headers: h, body })).status));
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(5);
    expect(await db.sql`SELECT id FROM inbox WHERE control_id = 'call-race-11'`).toHaveLength(1);
  });
  it.each([
    ['invalid JSON', '{"caller":', /not valid JSON/],
    ['missing fields', JSON.stringify({ caller: { type: 'patient' } }), /call note is not valid/],
    ['an unknown caller type', JSON.stringify({ ...call, caller: { ...call.caller, type: 'robot' } }), /call note is not valid/],
    ['a bad callback number', JSON.stringify({ ...call, caller: { ...call.caller, callbackNumber: 'call me' } }), /call note is not valid/],
    ['an unknown field', JSON.stringify({ ...call, ssn: '000-00-0000' }), /call note is not valid/],
    ['a control character in the reason', JSON.stringify({ ...call, reason: 'chest pain\u0001' }), /call note is not valid/],
    ['a control character (a lone surrogate) in the reason', JSON.stringify({ ...call, reason: 'chest pain' }).replace('chest pain', 'chest pain\\ud800'), /call note is not valid/],
  ])('%s -> 400 OperationOutcome naming the problem', async (name, body, text) => {
    const res = await app.request('/calls', { method: 'POST', headers: { ...auth('operator'), 'content-type': 'application/json' }, body });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/fhir+json');
    const oo = await res.json() as { resourceType: string; issue: { diagnostics: string }[] };
    expect(oo.resourceType).toBe('OperationOutcome');
    expect(oo.issue[0]!.diagnostics).toMatch(text);
    if (name.startsWith('a control character')) expect(oo.issue).toContainEqual(expect.objectContaining({ diagnostics: 'control characters are not allowed', expression: ['reason'] }));
    // the outcome names paths, never echoes the submitted values
    expect(JSON.stringify(oo)).not.toContain('000-00-0000');
  });
});

describe('processing and the FHIR API', () => {
  it('maps stored messages and call notes; the results are readable under /fhir', async () => {
    while ((await worker.processBatch()) > 0) { /* drain */ }
    const inbox = await (await app.request('/inbox', { headers: auth('admin') })).json() as { state: string; type: string }[];
    expect(inbox.length).toBeGreaterThanOrEqual(4);
    expect(inbox.every((r) => r.state === 'processed')).toBe(true);
    const bundle = await (await app.request('/fhir/CommunicationRequest?priority=stat', { headers: auth('admin') })).json() as { resourceType: string; total: number };
    expect(bundle.resourceType).toBe('Bundle');
    expect(bundle.total).toBeGreaterThanOrEqual(1);
    const calls = await (await app.request('/fhir/CommunicationRequest?priority=urgent', { headers: auth('admin') })).json() as { total: number };
    expect(calls.total).toBeGreaterThanOrEqual(1);
  });

  it('routes the critical result to whoever covers OB at that instant, and keeps the explanation', async () => {
    const list = await (await app.request('/inbox', { headers: auth('admin') })).json() as { id: string; controlId: string }[];
    const row = list.find((r) => r.controlId === 'HTTP1')!;
    const detail = await (await app.request(`/inbox/${row.id}`, { headers: auth('admin') })).json() as { routing: { rule: string; explanation: string; oncall: { primary: { id: string } } } };
    // the override 'swap-2025-03-12' gives Dr. Chen OB from Wed 07:00 to Thu 07:00
    expect(detail.routing.rule).toBe('critical-lab');
    expect(detail.routing.oncall.primary.id).toBe('dr-chen');
    expect(detail.routing.explanation).toContain("override 'swap-2025-03-12'");
    const stat = await (await app.request('/fhir/CommunicationRequest?priority=stat', { headers: auth('admin') })).json() as { entry: { resource: { recipient?: { reference: string }[] } }[] };
    expect(stat.entry[0]!.resource.recipient).toEqual([{ reference: 'Practitioner/dr-chen', display: 'Dr. Cora Chen' }]);
    // and the practitioner it points to is readable: the schedule's FHIR view
    expect((await app.request('/fhir/Practitioner/dr-chen', { headers: auth('admin') })).status).toBe(200);
  });

  it('routes a cardiology call note by its service', async () => {
    const list = await (await app.request('/inbox', { headers: auth('admin') })).json() as { id: string; type: string }[];
    const call = list.find((r) => r.type === 'CALL')!;
    const detail = await (await app.request(`/inbox/${call.id}`, { headers: auth('admin') })).json() as { routing: { rule: string; oncall: { role: string } } };
    expect(detail.routing).toMatchObject({ rule: 'cardiology-calls', oncall: { role: 'cardio-oncall' } });
  });

  it('leaves an unmappable row failed with its reason, and retry queues it again', async () => {
    // a row whose stored bytes cannot be mapped (written directly: intake would have refused it)
    const [row] = await db.sql<{ id: string }[]>`INSERT INTO inbox (source, control_id, message_type, raw) VALUES ('http', 'BROKEN1', 'ORU^R01', ${Buffer.from('MSH|^~\\&|A|B|C|D|2026||ORU^R01|BROKEN1|P|2.5.1\r')}) RETURNING id::text`;
    await worker.processBatch();
    const failed = await (await app.request('/inbox?state=failed', { headers: auth('admin') })).json() as { id: string; errorCode: string }[];
    expect(failed.find((r) => r.id === row!.id)?.errorCode).toMatch(/^ERR_/);
    expect((await app.request(`/inbox/${row!.id}/retry`, { method: 'POST', headers: auth('admin') })).status).toBe(200);
    expect((await app.request(`/inbox/${row!.id}/retry`, { method: 'POST', headers: auth('admin') })).status).toBe(404);
  });

  it('shows one inbox row with its ACK and mapping report; 404 for an unknown id', async () => {
    const list = await (await app.request('/inbox', { headers: auth('admin') })).json() as { id: string; controlId: string }[];
    const row = list.find((r) => r.controlId === 'HTTP1')!;
    const detail = await (await app.request(`/inbox/${row.id}`, { headers: auth('admin') })).json() as { ack: string; state: string; mappingReport: { mapped: unknown[] } };
    expect(detail.state).toBe('processed');
    expect(detail.ack).toContain('MSA|AA|HTTP1');
    expect(detail.mappingReport.mapped.length).toBeGreaterThan(0);
    expect((await app.request('/inbox/999999', { headers: auth('admin') })).status).toBe(404);
    expect((await app.request('/inbox/abc', { headers: auth('admin') })).status).toBe(404);
  });

  it('lists rejected input with the reason', async () => {
    const rejected = await (await app.request('/rejected', { headers: auth('admin') })).json() as { errorCode: string }[];
    expect(rejected.some((r) => r.errorCode === 'ERR_HL7_UNSUPPORTED_TYPE')).toBe(true);
  });
});

describe('metrics (after the traffic above)', () => {
  it('/metrics serves Prometheus text with the intake counters', async () => {
    const res = await app.request('/metrics');
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('switchboard_messages_received_total');
    expect(text).toContain('switchboard_ack_latency_seconds_bucket');
    expect(text).toContain('switchboard_inbox_queue_depth');
    expect(text).toMatch(/switchboard_messages_routed_total\{outcome="routed"\} [1-9]/);
  });
});

describe('GET /inbox', () => {
  it.each([['after=abc'], ['after=-1'], ['after=%00'], ['after=99999999999999999999'], ['state=bogus']])('?%s -> 400 OperationOutcome', async (q) => {
    const res = await app.request(`/inbox?${q}`, { headers: auth('admin') });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { resourceType: string }).resourceType).toBe('OperationOutcome');
  });
});
