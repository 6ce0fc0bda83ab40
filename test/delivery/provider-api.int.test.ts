// The provider API through the whole HTTP app (route table, gate, sub-app): a provider sees and acts
// on the messages addressed to them or to a role they cover at that moment; for everyone else each
// route is a 404 (tested as a matrix: every practitioner x every route); provider tokens reach /me
// only; receipts land on the FHIR Communications, searchable by based-on.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bundle, Communication } from 'fhir/r4.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { getRun, listEvents } from '../../src/store/index.js';
import { recordingFetch, startRequest, TestClock } from './support.js';
import { buildDeliveryApp, PRACTITIONERS, type DeliveryApp } from './api.js';
import { ACKNOWLEDGED_EXTENSION, READ_EXTENSION } from '../../src/delivery/index.js';

let db: TestDatabase;
let h: DeliveryApp;
// Tue 2025-03-04 10:00 New York: dr-baker covers `ward`, dr-cole is its backup
const clock = new TestClock(Date.parse('2025-03-04T15:00:00Z'));

beforeAll(async () => {
  db = await createTestDatabase();
  h = await buildDeliveryApp(db, clock, { base: 'https://hooks.example', fetch: recordingFetch().fetch });
});
afterAll(async () => { await db.drop(); });

const req = (who: string, method: string, path: string, body?: unknown) =>
  h.app.request(path, { method, headers: { ...h.as(who), ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });

const ACTIONS: [string, string, unknown?][] = [
  ['GET', ''], ['POST', '/read'], ['POST', '/ack'], ['POST', '/reply', { text: 'seen' }], ['POST', '/forward', { practitioner: 'dr-ames' }], ['POST', '/resolve'],
];

describe('who sees a message', () => {
  let id: string;
  beforeAll(async () => {
    clock.set('2025-03-04T15:00:00Z');
    id = await startRequest(db.sql, clock);
    await h.service.scheduler.drain(); // step 1: dr-baker
  });

  it('everyone it is not addressed to gets 404 on every route, and nothing changes', async () => {
    for (const who of PRACTITIONERS.filter((p) => p !== 'dr-baker')) {
      for (const [method, suffix, body] of ACTIONS) {
        const res = await req(who, method, `/me/messages/${id}${suffix}`, body);
        expect(`${who} ${method} ${suffix} ${res.status}`).toBe(`${who} ${method} ${suffix} 404`);
      }
      const list = (await (await req(who, 'GET', '/me/messages?status=all')).json()) as { messages: { id: string }[] };
      expect(list.messages.map((m) => m.id)).not.toContain(id);
    }
    // an unknown id and a malformed one are as absent as someone else's
    expect((await req('dr-baker', 'GET', '/me/messages/no-such-message')).status).toBe(404);
    expect((await req('dr-baker', 'POST', '/me/messages/bad%20id/ack')).status).toBe(404);
    const run = await getRun(db.sql, id);
    expect(run).toMatchObject({ state: 'active', acknowledged_at: null });
    expect((await listEvents(db.sql, id)).map((e) => e.kind)).not.toContain('read');
  });

  it('the practitioner it is addressed to sees it in their list and opens it with its content and timeline', async () => {
    const list = (await (await req('dr-baker', 'GET', '/me/messages')).json()) as { messages: { id: string; priority: string; addressed: boolean; text: string }[] };
    expect(list.messages.find((m) => m.id === id)).toMatchObject({ priority: 'stat', addressed: true, text: 'Critical result: Potassium 6.8 mmol/L (HH)' });
    const res = await req('dr-baker', 'GET', `/me/messages/${id}`);
    expect(res.status).toBe(200);
    const detail = (await res.json()) as { request: { id: string }; timeline: { kind: string }[]; deliveredAt: string | null };
    expect(detail.request.id).toBe(id);
    expect(detail.timeline.map((e) => e.kind)).toEqual(expect.arrayContaining(['run_started', 'step_fired', 'notified']));
    // opening it in the app is the inbox channel's delivery receipt
    const again = (await (await req('dr-baker', 'GET', `/me/messages/${id}`)).json()) as { deliveredAt: string | null };
    expect(again.deliveredAt).not.toBeNull();
  });

  it('step 2 adds the backup; the next morning the new on-call doctor sees the open message through the role', async () => {
    clock.set('2025-03-04T15:00:20Z');
    await h.service.scheduler.drain(); // step 2: dr-cole
    expect((await req('dr-cole', 'GET', `/me/messages/${id}`)).status).toBe(200);
    expect((await req('dr-ames', 'GET', `/me/messages/${id}`)).status).toBe(404);
    // Wed 08:00: dr-ames covers ward now (not notified: the run is exhausted by then, still open)
    clock.set('2025-03-05T13:00:00Z');
    const list = (await (await req('dr-ames', 'GET', '/me/messages')).json()) as { messages: { id: string; addressed: boolean }[] };
    expect(list.messages.find((m) => m.id === id)).toMatchObject({ addressed: false });
    expect((await req('dr-ames', 'GET', `/me/messages/${id}`)).status).toBe(200);
    clock.set('2025-03-04T15:00:21Z');
  });

  it('read, ack and reply are receipts on the Communications; the request completes; based-on finds them', async () => {
    clock.set('2025-03-04T15:00:25Z');
    expect((await req('dr-baker', 'POST', `/me/messages/${id}/read`)).status).toBe(200);
    expect((await req('dr-baker', 'POST', `/me/messages/${id}/ack`)).status).toBe(200);
    expect(await (await req('dr-baker', 'POST', `/me/messages/${id}/ack`)).json()).toMatchObject({ already: true });
    const reply = await req('dr-baker', 'POST', `/me/messages/${id}/reply`, { text: 'Repeat K+ ordered, will call the patient' });
    expect(reply.status).toBe(201);
    const replyRef = ((await reply.json()) as { communication: string }).communication;

    const found = (await (await req('reader', 'GET', `/fhir/Communication?based-on=CommunicationRequest/${id}&_count=50`)).json()) as Bundle;
    const comms = (found.entry ?? []).map((e) => e.resource as Communication);
    const bakerStep = comms.find((c) => c.recipient?.[0]?.reference === 'Practitioner/dr-baker' && c.inResponseTo === undefined)!;
    expect(bakerStep).toMatchObject({ status: 'completed', basedOn: [{ reference: `CommunicationRequest/${id}` }] });
    expect(bakerStep.extension?.map((x) => x.url).sort()).toEqual([ACKNOWLEDGED_EXTENSION, READ_EXTENSION].sort());
    const replyComm = comms.find((c) => `Communication/${c.id}` === replyRef)!;
    expect(replyComm).toMatchObject({ status: 'completed', sender: { reference: 'Practitioner/dr-baker' }, inResponseTo: [{ reference: `Communication/${bakerStep.id}` }], payload: [{ contentString: 'Repeat K+ ordered, will call the patient' }] });
    expect(comms.length).toBeGreaterThanOrEqual(3); // dr-baker's step, dr-cole's step, the reply

    const cr = (await (await req('reader', 'GET', `/fhir/CommunicationRequest/${id}`)).json()) as { status: string };
    expect(cr.status).toBe('completed');
    expect((await getRun(db.sql, id))?.state).toBe('completed');
  });

  it('a reply is validated: empty, too long, control characters and unknown fields are 400s naming the path', async () => {
    const other = await startRequest(db.sql, clock);
    await h.service.scheduler.drain();
    for (const bad of [{}, { text: '' }, { text: 'x'.repeat(4001) }, { text: 'a\u0007b' }, { text: 'ok', extra: 1 }]) {
      const res = await req('dr-baker', 'POST', `/me/messages/${other}/reply`, bad);
      expect(res.status).toBe(400);
    }
    expect((await req('dr-baker', 'POST', `/me/messages/${other}/forward`, { practitioner: 'dr-nobody' })).status).toBe(400);
    const fwd = await req('dr-baker', 'POST', `/me/messages/${other}/forward`, { practitioner: 'dr-ames' });
    expect(fwd.status).toBe(201);
    expect((await req('dr-ames', 'GET', `/me/messages/${other}`)).status).toBe(200); // forwarded: now theirs too
  });
});

describe('tokens and routes', () => {
  it('a provider token reaches /me (and FHIR reads of its patients: test/http/access-matrix.int.test.ts) only; other tokens do not reach /me', async () => {
    for (const path of ['/inbox', '/fhir/Practitioner', '/fhir/AuditEvent', '/schedule', '/oncall?role=ward', '/delivery/dead-letters', '/messages/x/timeline']) {
      expect(`${path} ${(await req('dr-baker', 'GET', path)).status}`).toBe(`${path} 403`);
      expect(`${path} ${(await req('sneaky', 'GET', path)).status}`).toBe(`${path} 403`);
    }
    expect((await req('sneaky', 'GET', '/me/messages')).status).toBe(200);
    for (const who of ['admin', 'ops', 'reader']) expect((await req(who, 'GET', '/me/messages')).status).toBe(403);
    expect((await h.app.request('/me/messages')).status).toBe(401);
  });

  it('the operator timeline lists every step, attempt and receipt with reasons (delivery.read)', async () => {
    clock.set('2025-03-04T16:00:00Z');
    const id = await startRequest(db.sql, clock);
    await h.service.scheduler.drain();
    const res = await req('ops', 'GET', `/messages/${id}/timeline`);
    expect(res.status).toBe(200);
    const t = (await res.json()) as { run: { state: string; policy: string }; notifications: unknown[]; attempts: { channel: string; state: string }[]; timeline: { kind: string; reason: string | null }[] };
    expect(t.run).toMatchObject({ state: 'active', policy: 'fast' });
    expect(t.attempts.map((a) => `${a.channel}:${a.state}`).sort()).toEqual(['inbox:sent', 'webhook:delivered']);
    expect(t.timeline.find((e) => e.kind === 'step_fired')?.reason).toMatch(/^step 1 of 5: dr-baker; next in 20 s unless acknowledged$/);
    expect(JSON.stringify(t)).not.toContain('whsec_');
    expect((await req('ops', 'GET', '/messages/unknown-id/timeline')).status).toBe(404);
  });
});
