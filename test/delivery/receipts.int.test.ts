// Receipts in their FHIR form, read back through the FHIR API: exactly one Communication per
// notification, basedOn its CommunicationRequest, in-progress with `sent` until a channel delivered
// it, then completed with `received`; read and acknowledgement ride on it as extensions; the
// CommunicationRequest goes active -> completed on acknowledgement and on resolve, and
// `GET /fhir/Communication?based-on=…` lists each message's own Communications and no others.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bundle, Communication, CommunicationRequest } from 'fhir/r4.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { getRun, listNotifications } from '../../src/store/index.js';
import { ACKNOWLEDGED_EXTENSION, READ_EXTENSION } from '../../src/delivery/index.js';
import { recordingFetch, startRequest, TestClock } from './support.js';
import { buildDeliveryApp, type DeliveryApp } from './api.js';

let db: TestDatabase;
let h: DeliveryApp;
// Tue 2025-03-04 10:00 New York: dr-baker covers `ward`, dr-cole is its backup
const clock = new TestClock(Date.parse('2025-03-04T15:00:00Z'));
const BASE = 'https://hooks.example';

beforeAll(async () => {
  db = await createTestDatabase();
  // dr-cole's paging gateway is down (503: retried, never delivered during the test); the others answer 200
  const rec = recordingFetch((url) => (url === `${BASE}/cole` ? 503 : 200));
  h = await buildDeliveryApp(db, clock, { base: BASE, fetch: rec.fetch });
});
afterAll(async () => { await db.drop(); });

const as = (who: string, method: string, path: string) => h.app.request(path, { method, headers: h.as(who) });
const communicationsOf = async (id: string): Promise<Communication[]> => {
  const res = await as('reader', 'GET', `/fhir/Communication?based-on=CommunicationRequest/${id}&_count=100`);
  expect(res.status).toBe(200);
  return ((await res.json()) as Bundle).entry?.map((e) => e.resource as Communication) ?? [];
};
const requestStatus = async (id: string): Promise<string | undefined> =>
  ((await (await as('reader', 'GET', `/fhir/CommunicationRequest/${id}`)).json()) as CommunicationRequest).status;
const extensionUrls = (c: Communication | undefined) => (c?.extension ?? []).map((x) => x.url).sort();

describe('receipts as FHIR Communications', () => {
  let id: string;
  let other: string;

  beforeAll(async () => {
    clock.set('2025-03-04T15:00:00Z');
    id = await startRequest(db.sql, clock);
    other = await startRequest(db.sql, clock);
    await h.service.scheduler.drain(); // step 1: dr-baker, for both
    clock.set('2025-03-04T15:00:20Z');
    await h.service.scheduler.drain(); // step 2: dr-cole, for both (his webhook fails)
  });

  it('one Communication per notification, basedOn its CommunicationRequest, and none of another message', async () => {
    const notifications = await listNotifications(db.sql, id);
    expect(notifications.map((n) => `${n.kind}:${n.seq}:${n.recipient}`)).toEqual(['step:1:dr-baker', 'step:2:dr-cole']);
    const comms = await communicationsOf(id);
    expect(comms.map((c) => c.id).sort()).toEqual(notifications.map((n) => n.id).sort());
    for (const c of comms) expect(c.basedOn).toEqual([{ reference: `CommunicationRequest/${id}` }]);
    const otherIds = (await communicationsOf(other)).map((c) => c.id);
    expect(otherIds).toHaveLength(2);
    expect(otherIds.filter((x) => comms.some((c) => c.id === x))).toEqual([]);
  });

  it('delivered by a channel: completed with sent and received; not yet delivered: in-progress with sent only', async () => {
    const comms = await communicationsOf(id);
    const baker = comms.find((c) => c.recipient?.[0]?.reference === 'Practitioner/dr-baker');
    const cole = comms.find((c) => c.recipient?.[0]?.reference === 'Practitioner/dr-cole');
    expect(baker).toMatchObject({ status: 'completed', sent: '2025-03-04T15:00:00.000Z', received: '2025-03-04T15:00:00.000Z', priority: 'stat', subject: { reference: 'Patient/p-1' } });
    expect(cole).toMatchObject({ status: 'in-progress', sent: '2025-03-04T15:00:20.000Z' });
    expect(cole?.received).toBeUndefined();
    expect(extensionUrls(baker)).toEqual([]);
    expect(await requestStatus(id)).toBe('active');
  });

  it('read, then acknowledged: extensions on the reader\'s Communication only; the request completes', async () => {
    clock.set('2025-03-04T15:00:30Z');
    expect((await as('dr-baker', 'POST', `/me/messages/${id}/read`)).status).toBe(200);
    let baker = (await communicationsOf(id)).find((c) => c.recipient?.[0]?.reference === 'Practitioner/dr-baker');
    expect(baker?.extension).toEqual([{ url: READ_EXTENSION, valueDateTime: '2025-03-04T15:00:30.000Z' }]);
    expect(await requestStatus(id)).toBe('active');

    clock.set('2025-03-04T15:00:35Z');
    expect((await as('dr-baker', 'POST', `/me/messages/${id}/ack`)).status).toBe(200);
    const comms = await communicationsOf(id);
    baker = comms.find((c) => c.recipient?.[0]?.reference === 'Practitioner/dr-baker');
    expect(baker?.extension).toEqual(expect.arrayContaining([
      { url: READ_EXTENSION, valueDateTime: '2025-03-04T15:00:30.000Z' },
      { url: ACKNOWLEDGED_EXTENSION, valueDateTime: '2025-03-04T15:00:35.000Z' },
    ]));
    expect(extensionUrls(comms.find((c) => c.recipient?.[0]?.reference === 'Practitioner/dr-cole'))).toEqual([]);
    expect(comms).toHaveLength(2); // receipts rewrite the Communications; they add none
    expect(await requestStatus(id)).toBe('completed');
    expect((await getRun(db.sql, id))?.state).toBe('acknowledged');
  });

  it('resolved without an acknowledgement: the request completes and the run closes', async () => {
    expect(await requestStatus(other)).toBe('active');
    clock.set('2025-03-04T15:00:40Z');
    expect((await as('dr-cole', 'POST', `/me/messages/${other}/resolve`)).status).toBe(200);
    expect(await requestStatus(other)).toBe('completed');
    expect((await getRun(db.sql, other))?.state).toBe('completed');
    // later deadlines change nothing: no step 3 for a resolved message
    clock.set('2025-03-04T15:01:00Z');
    await h.service.scheduler.drain();
    expect((await listNotifications(db.sql, other)).map((n) => n.seq)).toEqual([1, 2]);
    expect(await communicationsOf(other)).toHaveLength(2);
  });
});
