// The web layer's audit trail through the whole app (route table, gate, sub-apps): a read of an
// Observation is recorded with the token's subject and the Observation's patient; a search with one
// row per patient returned; a refusal (403) as a failure; nothing for an unauthenticated request.
// The rows hold ids and codes only: no fixture PHI (names, MRNs, birth dates), even when the
// request's query carried some. GET /fhir/AuditEvent exports them as valid R4 AuditEvents.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AuditEvent, Bundle } from 'fhir/r4.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { fixturePhi, findPhi } from '../support/phi.js';
import { createApp } from '../../src/http/index.js';
import { Hl7Intake, InboxWriter } from '../../src/ingest/index.js';
import { createMetrics } from '../../src/obs/index.js';
import { silentLogger } from '../../src/obs/log.js';
import { loadOrCreateLocalKey, mintLocalToken, TokenVerifier, type LocalKey } from '../../src/auth/index.js';
import { ScheduleService } from '../../src/oncall/index.js';
import { saveResources } from '../../src/fhir/index.js';
import { validateFhir } from '../../src/fhir/validate.js';
import { AuditWriter, sealAll, searchAudit, verifyAuditChain, type AuditRecord } from '../../src/audit/index.js';
import { observation, patient, MRN } from '../fhir/factories.js';

let db: TestDatabase;
let app: ReturnType<typeof createApp>;
let key: LocalKey;
let writer: AuditWriter;
const auth = async (scopes: string[], subject: string) => ({ authorization: `Bearer ${await mintLocalToken(key, { scopes, subject, audience: 'switchboard' })}` });
// what the requests recorded, sealed (a gateway's sealer does it within a second)
const all = async (): Promise<AuditRecord[]> => { await sealAll(db.sql); return (await searchAudit(db.sql, { limit: 1000 })).reverse(); };

// a fixture patient's name and MRN, stored as a synthetic Patient: what must never reach the trail
const [FAMILY, MRN_VALUE] = (() => {
  const phi = fixturePhi();
  return [phi.find((s) => /^[A-Z][A-Z]+$/.test(s)) ?? 'EVERYMAN', phi.find((s) => /^\d{5,}$/.test(s)) ?? '1234567'];
})();

beforeAll(async () => {
  db = await createTestDatabase();
  const metrics = createMetrics();
  const inbox = new InboxWriter(db.sql, { maxBatch: 8 });
  const intake = new Hl7Intake({ sql: db.sql, writer: inbox, metrics, log: silentLogger, appName: 'SWITCHBOARD' });
  key = await loadOrCreateLocalKey(mkdtempSync(path.join(os.tmpdir(), 'sb-audit-')));
  writer = new AuditWriter(db.sql);
  app = createApp({
    sql: db.sql, intake, writer: inbox, metrics, log: silentLogger, verifier: new TokenVerifier({ localKey: key, audience: 'switchboard' }),
    maxHl7Bytes: 64 * 1024, schedules: new ScheduleService({ sql: db.sql }), publicBaseUrl: 'https://sb.example', hsts: false, audit: writer,
  });
  await saveResources(db.sql, [
    patient('p1', MRN_VALUE, FAMILY), patient('p2', '7654321'),
    observation('obs-1', 'Patient/p1'), observation('obs-2', 'Patient/p1'), observation('obs-3', 'Patient/p2'),
  ]);
});
afterAll(async () => { await db.drop(); });

describe('recording requests', () => {
  it('a read of an Observation: who, which resource, whose, the outcome, where from, which request', async () => {
    const res = await app.request('/fhir/Observation/obs-1', { headers: { ...(await auth(['system/Observation.rs'], 'nurse-7')), 'x-request-id': 'req-abc' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-request-id')).toBe('req-abc');
    const [row] = (await all()).filter((r) => r.requestId === 'req-abc');
    expect(row).toMatchObject({
      type: 'phi.read', action: 'R', actor: expect.stringMatching(/\|nurse-7$/), actorKind: 'user',
      entityType: 'Observation', entityIds: ['obs-1'], patient: 'p1', outcome: 'success', outcomeCode: '200',
    });
  });

  it('a search: one row per patient with the ids returned', async () => {
    const res = await app.request('/fhir/Observation?_count=50', { headers: { ...(await auth(['system/Observation.rs'], 'nurse-7')), 'x-request-id': 'req-search' } });
    expect(res.status).toBe(200);
    const rows = (await all()).filter((r) => r.requestId === 'req-search');
    expect(rows.map((r) => [r.type, r.patient, [...r.entityIds].sort()]).sort()).toEqual([
      ['phi.search', 'p1', ['obs-1', 'obs-2']],
      ['phi.search', 'p2', ['obs-3']],
    ]);
  });

  it('a search whose query carries PHI (a name, an MRN) records ids only', async () => {
    const h = await auth(['system/Patient.rs'], 'clerk-2');
    expect((await app.request(`/fhir/Patient?identifier=${encodeURIComponent(`${MRN}|${MRN_VALUE}`)}`, { headers: { ...h, 'x-request-id': 'req-mrn' } })).status).toBe(200);
    expect((await app.request('/fhir/Patient/p1', { headers: { ...h, 'x-request-id': 'req-p1' } })).status).toBe(200);
    const rows = (await all()).filter((r) => r.requestId === 'req-mrn' || r.requestId === 'req-p1');
    expect(rows.map((r) => [r.type, r.patient, r.entityIds])).toEqual([['phi.search', 'p1', ['p1']], ['phi.read', 'p1', ['p1']]]);
  });

  it('a refusal (403) is recorded as a failure; an unauthenticated request and a 404 are not', async () => {
    const before = (await all()).length;
    expect((await app.request('/fhir/Observation/obs-1', { headers: { ...(await auth(['system/Patient.rs'], 'snoop-1')), 'x-request-id': 'req-403' } })).status).toBe(403);
    expect((await app.request('/fhir/Observation/obs-1')).status).toBe(401);
    expect((await app.request('/fhir/Observation/nope', { headers: await auth(['system/Observation.rs'], 'nurse-7') })).status).toBe(404);
    const rows = (await all()).slice(before);
    expect(rows.map((r) => [r.requestId, r.outcome, r.outcomeCode, r.patient])).toEqual([['req-403', 'failure', '403', null]]);
  });

  it('no audit row carries fixture PHI, and the chain verifies', async () => {
    const rows = await all();
    expect(rows.length).toBeGreaterThan(4);
    expect(findPhi(JSON.stringify(rows))).toEqual([]);
    expect(await verifyAuditChain(db.sql, { keys: [] })).toMatchObject({ ok: true, checked: rows.length });
  });
});

describe('when the audit row cannot be written', () => {
  it('a read answers 503 ERR_AUDIT_UNAVAILABLE instead of the data (fail closed)', async () => {
    const failing = { append: () => Promise.reject(Object.assign(new Error('store away'), { code: 'ECONNREFUSED' })) } as unknown as AuditWriter;
    const metrics = createMetrics();
    const inbox = new InboxWriter(db.sql, { maxBatch: 8 });
    const closed = createApp({
      sql: db.sql, intake: new Hl7Intake({ sql: db.sql, writer: inbox, metrics, log: silentLogger, appName: 'SWITCHBOARD' }), writer: inbox, metrics, log: silentLogger,
      verifier: new TokenVerifier({ localKey: key, audience: 'switchboard' }), maxHl7Bytes: 1024, schedules: new ScheduleService({ sql: db.sql }),
      publicBaseUrl: 'https://sb.example', hsts: false, audit: failing,
    });
    const res = await closed.request('/fhir/Observation/obs-1', { headers: await auth(['system/Observation.rs'], 'nurse-7') });
    expect(res.status).toBe(503);
    expect(res.headers.get('etag')).toBeNull();
    const body = await res.text();
    expect(body).toContain('ERR_AUDIT_UNAVAILABLE');
    expect(body).not.toContain('obs-1');
  });
});

describe('GET /fhir/AuditEvent', () => {
  it('exports the trail as valid R4 AuditEvents, filtered by patient, agent and date, newest first, with paging', async () => {
    const h = await auth(['system/AuditEvent.rs'], 'privacy-officer');
    await sealAll(db.sql);
    const res = await app.request('/fhir/AuditEvent?patient=Patient/p1&_count=2', { headers: h });
    expect(res.status).toBe(200);
    const page1 = (await res.json()) as Bundle;
    const p1Rows = (await all()).filter((r) => r.patient === 'p1');
    expect(page1).toMatchObject({ resourceType: 'Bundle', type: 'searchset', total: p1Rows.length });
    expect(page1.entry).toHaveLength(2);
    // each AuditEvent against the R4 StructureDefinition (the searchset shell is ours, checked elsewhere)
    for (const e of page1.entry!) expect(validateFhir(e.resource!).issues).toEqual([]);
    // (the validator does check AuditEvents: one without its source is refused)
    const { source: _s, ...sourceless } = page1.entry![0]!.resource as AuditEvent;
    expect(validateFhir(sourceless as AuditEvent).ok).toBe(false);
    const first = page1.entry![0]!.resource as AuditEvent;
    expect(first).toMatchObject({
      resourceType: 'AuditEvent', action: 'R', outcome: '0',
      type: { system: 'http://terminology.hl7.org/CodeSystem/audit-event-type', code: 'rest' },
      source: { observer: { display: 'Switchboard' } },
    });
    expect(first.entity?.some((e) => e.what?.reference === 'Patient/p1' && e.role?.code === '1')).toBe(true);
    // the next page continues where this one stopped, and the pages together are every p1 row
    const next = page1.link?.find((l) => l.relation === 'next')?.url;
    expect(next).toBeDefined();
    const seen = [...(page1.entry ?? []).map((e) => e.resource!.id)];
    let url = next;
    while (url) {
      const b = (await (await app.request(url.replace('https://sb.example', ''), { headers: h })).json()) as Bundle;
      seen.push(...(b.entry ?? []).map((e) => e.resource!.id));
      url = b.link?.find((l) => l.relation === 'next')?.url;
    }
    expect(seen).toEqual(p1Rows.map((r) => r.seq).reverse());
    // by agent, by date
    const byAgent = (await (await app.request('/fhir/AuditEvent?agent=snoop-1', { headers: h })).json()) as Bundle;
    expect(byAgent.total).toBe(0); // the actor is recorded as issuer|subject
    const actor = (await all()).find((r) => r.requestId === 'req-403')!.actor;
    const byActor = (await (await app.request(`/fhir/AuditEvent?agent=${encodeURIComponent(actor)}`, { headers: h })).json()) as Bundle;
    expect((byActor.entry ?? []).map((e) => (e.resource as AuditEvent).outcome)).toEqual(['4']);
    const future = (await (await app.request('/fhir/AuditEvent?date=ge2999-01-01', { headers: h })).json()) as Bundle;
    expect(future.total).toBe(0);
    const read = await app.request(`/fhir/AuditEvent/${first.id}`, { headers: h });
    expect(((await read.json()) as AuditEvent).id).toBe(first.id);
  });

  it('refuses tokens without an AuditEvent scope, bad parameters with 400, and is in the CapabilityStatement', async () => {
    expect((await app.request('/fhir/AuditEvent', { headers: await auth(['system/Observation.rs'], 'nurse-7') })).status).toBe(403);
    const h = await auth(['admin'], 'root');
    expect((await app.request('/fhir/AuditEvent?name=x', { headers: h })).status).toBe(400);
    expect((await app.request('/fhir/AuditEvent?date=2024-13-01', { headers: h })).status).toBe(400);
    expect((await app.request('/fhir/AuditEvent?_cursor=junk', { headers: h })).status).toBe(400);
    expect((await app.request('/fhir/AuditEvent/abc', { headers: h })).status).toBe(404);
    const cap = (await (await app.request('/fhir/metadata')).json()) as { rest: { resource: { type: string }[] }[] };
    expect(cap.rest[0]!.resource.map((r) => r.type)).toContain('AuditEvent');
  });

  it('reads of the trail are themselves recorded (audit.search), without a patient', async () => {
    const rows = (await all()).filter((r) => r.type === 'audit.search' || r.type === 'audit.read');
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => r.patient === null)).toBe(true);
  });
});
