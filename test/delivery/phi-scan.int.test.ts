// Every push and webhook payload the gateway sends, for every fixture message that carries patient
// data: each HL7 fixture and call note goes in through the HTTP API, through the processing worker
// into delivery, and every kind of payload goes out (a step, the next steps and the fallback, a
// re-notification, a forward, the routine digest). Scanned: no fixture name, MRN or birth date, no
// note or result text of the stored requests, and nothing but the payload's allow-listed keys.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommunicationRequest } from 'fhir/r4.js';
import { InboxWorker } from '../../src/pipeline/index.js';
import { createMetrics } from '../../src/obs/index.js';
import { DEFAULT_SITE_CONFIG } from '../../src/mapping/index.js';
import { ScheduleService } from '../../src/oncall/index.js';
import { parseScheduleFile } from '../../src/routing/index.js';
import { acknowledge, forward } from '../../src/delivery/index.js';
import { listNotifications } from '../../src/store/index.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { fixture, toWire } from '../support/fixtures.js';
import { findPhi, fixtureCallText, fixturePhi, phiCallFiles as callFiles, phiHl7Files as hl7Files } from '../support/phi.js';
import { createLogger } from '../../src/obs/index.js';
import { buildDeliveryApp, type DeliveryApp } from './api.js';
import { startReceiver, type Receiver } from './receiver.js';
import { SECRET, TestClock } from './support.js';
import { storedResources } from '../support/stored.js';
import { dumpDatabase } from '../support/dump.js';

let db: TestDatabase;
let h: DeliveryApp;
let worker: InboxWorker;
let receiver: Receiver;
const payloads: { channel: string; body: string }[] = [];
/** every log line the worker wrote, scanned like the database */
const logs: string[] = [];
// Tue 2025-03-04 21:00 New York: the night layer covers OB
const clock = new TestClock(Date.parse('2025-03-05T02:00:00Z'));
const ALLOWED_KEYS = new Set(['type', 'messageId', 'notificationId', 'priority', 'step', 'practitioner', 'link', 'messageIds']);


beforeAll(async () => {
  db = await createTestDatabase();
  receiver = await startReceiver();
  const parsed = parseScheduleFile(fixture('schedules/example.json').toString('utf8'), 'example.json');
  if (!parsed.ok) throw new Error('example schedule does not parse');
  const schedule = structuredClone(parsed.value);
  // everyone: push (no subscription: the payload is built and scanned, then skipped) and a webhook here
  for (const p of schedule.practitioners) {
    p.channels = [{ kind: 'push', address: 'app' }, { kind: 'webhook', address: `${receiver.base}/${p.id}`, secret: SECRET }];
    delete p.preferredChannels;
  }
  for (const pol of schedule.escalationPolicies) {
    for (const s of pol.steps) delete s.channels;
    if (pol.fallback) delete pol.fallback.channels;
    pol.respondWithin = 'PT10M';
  }
  h = await buildDeliveryApp(db, clock, { base: receiver.base, schedule, onPayload: (channel, body) => payloads.push({ channel, body }) });
  const metrics = createMetrics();
  worker = new InboxWorker({
    sql: db.sql, config: DEFAULT_SITE_CONFIG, log: createLogger('debug', (l) => logs.push(l)), metrics, claimMs: 60_000, pollMs: 50, maxAttempts: 3, appName: 'SWITCHBOARD',
    schedules: new ScheduleService({ sql: db.sql }), delivery: h.service, now: () => new Date(clock.t),
  });
});
afterAll(async () => {
  await receiver.close();
  await db.drop();
});

const settle = async () => {
  while ((await worker.processBatch()) > 0) { /* drain */ }
  await h.service.scheduler.drain();
};
const ctx = async (practitioner: string) => ({ sql: db.sql, now: new Date(clock.t), compiled: await h.service.compiled(), practitioner });

describe('push and webhook payloads', () => {
  it('carry no fixture PHI, note or result text, for every fixture message and every kind of payload', async () => {
    expect(fixturePhi().length).toBeGreaterThan(10); // the scan has something to look for
    for (const f of hl7Files) {
      const res = await h.app.request('/hl7', { method: 'POST', headers: h.as('admin'), body: toWire(fixture(f)) });
      expect(`${f} ${res.status}`).toBe(`${f} 200`);
    }
    for (const f of callFiles) {
      const res = await h.app.request('/calls', { method: 'POST', headers: { ...h.as('admin'), 'content-type': 'application/json' }, body: fixture(f) });
      expect(`${f} ${res.status}`).toMatch(/ 20[0-2]$/);
    }
    await settle();
    const runs = await db.sql<{ request_id: string; priority: string }[]>`SELECT request_id, priority FROM delivery_run ORDER BY request_id`;
    const urgent = runs.filter((r) => r.priority !== 'routine');
    expect(urgent.length).toBeGreaterThan(3);
    expect(runs.some((r) => r.priority === 'routine')).toBe(true);

    // one message acknowledged (re-notified while no response follows), one forwarded
    const [acked, forwarded] = urgent;
    const first = async (id: string) => (await listNotifications(db.sql, id))[0]!.recipient;
    await acknowledge(await ctx(await first(acked!.request_id)), acked!.request_id);
    await forward(await ctx(await first(forwarded!.request_id)), forwarded!.request_id, 'sup-harper');
    await settle();
    // every step, repeat and fallback of the rest, the re-notifications, then the 08:00 digest
    for (let i = 0; i < 24; i++) {
      clock.advance(5 * 60_000);
      await settle();
    }
    clock.set('2025-03-05T13:05:00Z');
    await settle();

    const types = new Set(payloads.map((p) => (JSON.parse(p.body) as { type: string }).type));
    expect([...types].sort()).toEqual(['digest', 'forward', 'notification', 'renotify']);
    expect(new Set(payloads.map((p) => p.channel))).toEqual(new Set(['push', 'webhook']));
    expect(receiver.accepted().length).toBeGreaterThan(urgent.length);

    const outgoing = [...payloads.map((p) => p.body), ...receiver.received.map((r) => `${r.path}\n${r.id}\n${r.body}`)].join('\n');
    expect(findPhi(outgoing)).toEqual([]);
    for (const p of payloads) expect(Object.keys(JSON.parse(p.body) as object).filter((k) => !ALLOWED_KEYS.has(k))).toEqual([]);
    // what the stored requests say (result values, note text) never leaves on these channels
    const texts = (await storedResources<CommunicationRequest>(db.sql, 'CommunicationRequest'))
      .flatMap((r) => (r.resource.payload ?? []).map((x) => x.contentString ?? '')).filter((t) => t.length >= 8);
    expect(texts.length).toBeGreaterThan(3);
    expect(texts.filter((t) => outgoing.includes(t))).toEqual([]);
  }, 120_000);
});

describe('PHI at rest', () => {
  // runs after the payload test above: every fixture message and call note stored, mapped, routed and delivered
  it('a plain pg_dump of the database, and the captured logs, hold no fixture name, MRN, birth date, callback number or note text', async () => {
    const [stored] = await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM fhir_resource WHERE resource_type = 'Patient'`;
    expect(stored!.n).toBeGreaterThan(5);
    const dump = (await dumpDatabase(db.url, db.sql)).text;
    expect(dump).toContain('fhir_resource');
    expect(dump.length).toBeGreaterThan(100_000);
    const callText = fixtureCallText();
    expect(callText.length).toBeGreaterThan(3);
    expect(findPhi(dump)).toEqual([]);
    expect(callText.filter((t) => dump.includes(t))).toEqual([]);
    // and the same text in clear is still what the API reads back
    const notes = (await storedResources<CommunicationRequest>(db.sql, 'CommunicationRequest')).map((r) => JSON.stringify(r.resource)).join('\n');
    expect(callText.filter((t) => notes.includes(t)).length).toBeGreaterThan(0);
    // the scan finds what is there: the opened Patients carry the fixture names the dump does not
    const patients = (await storedResources(db.sql, 'Patient')).map((r) => JSON.stringify(r.resource)).join('\n');
    expect(findPhi(patients).length).toBeGreaterThan(3);
    // whatever the worker logged (ids and codes; it may log nothing on a clean run)
    const logText = logs.join('\n');
    expect(findPhi(logText)).toEqual([]);
    expect(callText.filter((t) => logText.includes(t))).toEqual([]);
  }, 120_000);
});
