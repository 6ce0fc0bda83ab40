// Delivery's state changes land in the trail in their own transactions (notified, read, acknowledged,
// escalated, with the message's patient and the acting practitioner), every row maps to a valid R4
// AuditEvent, and a purge past AUDIT_RETENTION_DAYS leaves a checkpoint from which the rest still
// verifies — the purge itself recorded — while message bytes and refused input past
// MESSAGE_RETENTION_DAYS go and FHIR resources stay.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { recordingFetch, startRequest, TestClock } from '../delivery/support.js';
import { buildDeliveryApp, type DeliveryApp } from '../delivery/api.js';
import { appendAudit, purgeExpired, sealAll, searchAudit, toAuditEvent, verifyAuditChain, type AuditRecord } from '../../src/audit/index.js';
import { readAuditHead } from '../../src/store/index.js';
import { validateFhir } from '../../src/fhir/validate.js';
import { inRolledBack, sampleEvent, tamperer } from './support.js';

let db: TestDatabase;
let h: DeliveryApp;
const clock = new TestClock(Date.parse('2025-03-04T15:00:00Z'));
const all = async (): Promise<AuditRecord[]> => { await sealAll(db.sql); return (await searchAudit(db.sql, { limit: 5000 })).reverse(); };

beforeAll(async () => {
  db = await createTestDatabase();
  h = await buildDeliveryApp(db, clock, { base: 'https://hooks.example', fetch: recordingFetch().fetch });
});
afterAll(async () => { await db.drop(); });

describe('delivery state changes', () => {
  let id: string;
  beforeAll(async () => {
    id = await startRequest(db.sql, clock);
    await h.service.scheduler.drain(); // step 1: dr-baker notified
  });

  it('notified (system), then read and acknowledged by the practitioner, each with the patient', async () => {
    expect((await h.app.request(`/me/messages/${id}/read`, { method: 'POST', headers: h.as('dr-baker') })).status).toBe(200);
    expect((await h.app.request(`/me/messages/${id}/ack`, { method: 'POST', headers: h.as('dr-baker') })).status).toBe(200);
    const rows = (await all()).filter((r) => r.entityIds.includes(id));
    const kinds = rows.map((r) => [r.type, r.actor, r.actorKind, r.patient]);
    expect(kinds).toContainEqual(['delivery.notified', 'system', 'system', 'p-1']);
    expect(kinds).toContainEqual(['delivery.read', 'dr-baker', 'practitioner', 'p-1']);
    expect(kinds).toContainEqual(['delivery.acknowledged', 'dr-baker', 'practitioner', 'p-1']);
    const notified = rows.find((r) => r.type === 'delivery.notified')!;
    expect(notified.entityIds).toEqual(expect.arrayContaining([id, expect.stringMatching(/^Communication\//), 'Practitioner/dr-baker']));
    // as an AuditEvent: the request, its Communication and the practitioner notified, and the patient
    const refs = toAuditEvent(notified).entity?.map((e) => e.what?.reference);
    expect(refs).toEqual(['Patient/p-1', `CommunicationRequest/${id}`, expect.stringMatching(/^Communication\/[^/]+$/), 'Practitioner/dr-baker']);
  });

  it('an unacknowledged message escalates: delivery.escalated at step 2', async () => {
    const other = await startRequest(db.sql, clock);
    await h.service.scheduler.drain();
    clock.advance(60 * 60_000);
    await h.service.scheduler.drain();
    const rows = (await all()).filter((r) => r.entityIds.includes(other));
    expect(rows.map((r) => r.type)).toContain('delivery.escalated');
  });

  it('every row maps to a valid R4 AuditEvent and the chain verifies', async () => {
    const rows = await all();
    for (const r of rows) expect(validateFhir(toAuditEvent(r)).issues, r.type).toEqual([]);
    expect(await verifyAuditChain(db.sql, { keys: [] })).toMatchObject({ ok: true, checked: rows.length });
  });
});

describe('retention', () => {
  // its own database: a purge cuts the oldest run of rows, so the year-old rows must come first
  let db: TestDatabase;
  const all = async (): Promise<AuditRecord[]> => { await sealAll(db.sql); return (await searchAudit(db.sql, { limit: 5000 })).reverse(); };
  beforeAll(async () => { db = await createTestDatabase({ max: 3 }); });
  afterAll(async () => { await db.drop(); });

  it('purges old audit rows down to a checkpoint; what is kept verifies; the purge is recorded', async () => {
    // old rows (a year ago) then recent ones
    const old = Array.from({ length: 30 }, (_, i) => ({ ...sampleEvent(i), at: new Date(Date.parse('2024-01-01T00:00:00Z') + i * 1000) }));
    await db.sql.begin((tx) => appendAudit(tx, old));
    await db.sql.begin((tx) => appendAudit(tx, [{ ...sampleEvent(99), at: new Date('2025-03-04T12:00:00Z') }]));
    await sealAll(db.sql);
    const headBefore = await readAuditHead(db.sql);
    const lastOld = (await all()).filter((r) => r.at < new Date('2025-01-01')).at(-1)!;

    // a refused message and a processed one, both old; a resource
    await db.sql`INSERT INTO rejected (source, received_at, error_code, reason, raw) VALUES ('mllp', '2024-01-01', 'ERR_X', 'bad', '\\x4d5348'::bytea)`;
    await db.sql`INSERT INTO inbox (source, control_id, message_type, raw, received_at, state) VALUES ('mllp', 'c-old', 'ORU^R01', 'MSH|old'::bytea, '2024-01-01', 'processed')`;
    await db.sql`INSERT INTO inbox (source, control_id, message_type, raw, received_at, state) VALUES ('mllp', 'c-new', 'ORU^R01', 'MSH|new'::bytea, now(), 'processed')`;
    const resources = (await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM fhir_resource`)[0]!.n;

    const now = new Date('2025-03-04T15:00:00Z');
    const r = await purgeExpired(db.sql, { auditDays: 180, messageDays: 30 }, now, { actor: 'cli', actorKind: 'cli' });
    expect(await sealAll(db.sql)).toBe(1); // the purge's own event
    expect(r).toMatchObject({ ran: true, rejected: 1, inboxBytes: 1, fhirResources: 0, checkpoint: { seq: lastOld.seq, hash: lastOld.hash } });
    expect(r.auditRows).toBe(Number(lastOld.seq));

    const v = await verifyAuditChain(db.sql, { keys: [] });
    expect(v).toMatchObject({ ok: true, from: { seq: lastOld.seq, hash: lastOld.hash } });
    expect(BigInt(v.head.seq)).toBe(BigInt(headBefore.seq) + 1n);
    const [purge] = await searchAudit(db.sql, { limit: 1 });
    expect(purge).toMatchObject({ type: 'retention.purged', action: 'D', actor: 'cli', entityIds: expect.arrayContaining([`audit:${lastOld.seq}`, 'rejected:1', 'inbox-bytes:1']) });

    // the bytes went, the rows (their ids and keys) stayed; FHIR resources stayed
    const inbox = await db.sql<{ control_id: string; n: number }[]>`SELECT control_id, octet_length(raw)::int AS n FROM inbox WHERE control_id IN ('c-old', 'c-new') ORDER BY control_id`;
    expect(inbox).toEqual([{ control_id: 'c-new', n: 7 }, { control_id: 'c-old', n: 0 }]);
    expect((await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM fhir_resource`)[0]!.n).toBe(resources);

    // tampering below the checkpoint's successor is still found
    const next = String(BigInt(lastOld.seq) + 1n);
    const admin = tamperer(db);
    const broken = await inRolledBack(admin, async (tx) => { await tx`UPDATE audit_event SET patient = 'p-x' WHERE seq = ${next}`; }, (tx) => verifyAuditChain(tx, { keys: [] }));
    expect(broken).toMatchObject({ ok: false, break: { seq: next, reason: 'hash_mismatch' } });
    await admin.end({ timeout: 2 });
    expect((await verifyAuditChain(db.sql, { keys: [] })).ok).toBe(true);
  });

  it('a second purge right after finds nothing old and records nothing', async () => {
    const head = await readAuditHead(db.sql);
    const r = await purgeExpired(db.sql, { auditDays: 180, messageDays: 30 }, new Date('2025-03-04T15:00:00Z'), { actor: 'system', actorKind: 'system' });
    await sealAll(db.sql);
    expect(r).toMatchObject({ ran: true, auditRows: 0, rejected: 0, inboxBytes: 0 });
    expect((await readAuditHead(db.sql)).seq).toBe(head.seq);
  });
});
