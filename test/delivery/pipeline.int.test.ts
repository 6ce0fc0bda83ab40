// From a stored critical result to the on-call doctor's paging gateway: the worker starts the run in
// the transaction that marks the message processed and, for an urgent one, fires step 1 in it too
// (the page is sent at the commit); the webhook arrives signed per Standard Webhooks, without PHI,
// and the receipt lands on a FHIR Communication. When firing in that transaction fails, the message
// is saved all the same and the scheduler's urgent lane fires the step.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Communication } from 'fhir/r4.js';
import { InboxWorker } from '../../src/pipeline/worker.js';
import { InboxWriter } from '../../src/ingest/inbox-writer.js';
import { Hl7Intake } from '../../src/ingest/hl7-intake.js';
import { createMetrics } from '../../src/obs/metrics.js';
import { silentLogger } from '../../src/obs/log.js';
import { DEFAULT_SITE_CONFIG } from '../../src/mapping/index.js';
import { ScheduleService, saveSchedule } from '../../src/oncall/index.js';
import { parseScheduleFile } from '../../src/routing/index.js';
import { DeliveryService } from '../../src/delivery/index.js';
import { DELIVERY_WAKE_CHANNEL, getRun, listEvents, readResource } from '../../src/store/index.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { withControlId } from '../support/messages.js';
import { fixture } from '../support/fixtures.js';
import { findPhi } from '../support/phi.js';
import { danglingReferences, referencingRows } from '../support/references.js';
import { startReceiver, signedBy, type Receiver } from './receiver.js';
import { SECRET, TEST_CONFIG, TestClock } from './support.js';

let db: TestDatabase;
let intake: Hl7Intake;
let worker: InboxWorker;
let delivery: DeliveryService;
let receiver: Receiver;
/** the next schedule reads fail (a store or schedule failure while firing) */
let failReads = 0;
const payloads: string[] = [];
/** the delivery wake-ups NOTIFYed (every process's schedulers hear them) */
const wakes: string[] = [];
/** The wake-ups of the next commits that NOTIFY: once the 'run' of the runs' timers is heard, its commit's others are too. */
async function wakesUntilRun(): Promise<string[]> {
  for (let i = 0; i < 200 && !wakes.includes('run'); i++) await new Promise((r) => setTimeout(r, 10));
  return wakes.splice(0);
}
// Tue 2025-03-04 21:00 New York: Dr. Diaz has OB weeknights (layer 'nights')
const clock = new TestClock(Date.parse('2025-03-05T02:00:00Z'));

beforeAll(async () => {
  db = await createTestDatabase();
  receiver = await startReceiver();
  const parsed = parseScheduleFile(fixture('schedules/example.json').toString('utf8'), 'example.json');
  if (!parsed.ok) throw new Error('example schedule does not parse');
  const schedule = structuredClone(parsed.value);
  for (const p of schedule.practitioners) p.channels = [{ kind: 'webhook', address: `${receiver.base}/${p.id}`, secret: SECRET }];
  for (const p of schedule.practitioners) delete p.preferredChannels;
  for (const pol of schedule.escalationPolicies) for (const s of pol.steps) delete s.channels;
  expect((await saveSchedule(db.sql, schedule, { by: 'test', now: new Date(clock.t) })).ok).toBe(true);
  await db.sql.listen(DELIVERY_WAKE_CHANNEL, (v) => wakes.push(v));
  const metrics = createMetrics();
  const schedules = new ScheduleService({ sql: db.sql });
  // delivery's reads of the schedule, which a case makes fail (routing reads its own)
  const deliverySchedules = Object.assign(Object.create(schedules) as ScheduleService, {
    current: () => (failReads-- > 0 ? Promise.reject(new Error('schedule read failed')) : schedules.current()),
  });
  delivery = await DeliveryService.open({ sql: db.sql, schedules: deliverySchedules, config: TEST_CONFIG, clock: clock.now, registry: metrics.registry, onPayload: (_c, b) => payloads.push(b) });
  intake = new Hl7Intake({ sql: db.sql, writer: new InboxWriter(db.sql, { maxBatch: 16 }), metrics, log: silentLogger, appName: 'SWITCHBOARD' });
  worker = new InboxWorker({ sql: db.sql, config: DEFAULT_SITE_CONFIG, log: silentLogger, metrics, claimMs: 60_000, pollMs: 50, maxAttempts: 3, appName: 'SWITCHBOARD', schedules, delivery, now: () => new Date(clock.t) });
});
afterAll(async () => {
  await receiver.close();
  await db.drop();
});

describe('a critical result, end to end', () => {
  it('pages the doctor on call through their webhook, once, signed, without PHI', async () => {
    const r = await intake.receive(withControlId('spine/oru-r01.hl7', 'DELIV1'), { source: 'mllp', peer: null });
    while ((await worker.processBatch()) > 0) { /* drain */ }
    const [cr] = await db.sql<{ id: string }[]>`SELECT id FROM fhir_resource WHERE inbox_id = ${r.ids[0]!} AND resource_type = 'CommunicationRequest'`;
    // step 1 fired in the save's own transaction; its page is on its way (drain waits for it)
    const run = await getRun(db.sql, cr!.id);
    expect(run).toMatchObject({ state: 'active', step: 1, role: 'ob-oncall', policy: 'ob-two-step', priority: 'stat' });
    // the save took the urgent run itself: no urgent lane is woken for it, the rounds hear of its next timer
    expect(await wakesUntilRun()).not.toContain('urgent');

    await delivery.scheduler.drain();
    const got = receiver.accepted();
    expect(got.map((x) => x.path)).toEqual(['/dr-diaz']);
    const hook = got[0]!;
    expect(signedBy(hook, SECRET)).toBe(true);
    expect(signedBy(hook, 'whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA')).toBe(false);
    const body = JSON.parse(hook.body) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual(['link', 'messageId', 'notificationId', 'practitioner', 'priority', 'step', 'type']);
    expect(body).toMatchObject({ type: 'notification', messageId: cr!.id, priority: 'stat', step: 1, practitioner: 'dr-diaz', link: `https://sb.example/me/messages/${cr!.id}` });
    expect(hook.id).toBe(body.notificationId);
    expect(findPhi(hook.body)).toEqual([]);
    expect(findPhi(payloads.join('\n'))).toEqual([]);

    const comm = (await readResource(db.sql, 'Communication', String(body.notificationId)))?.resource as Communication;
    expect(comm).toMatchObject({ status: 'completed', basedOn: [{ reference: `CommunicationRequest/${cr!.id}` }], recipient: [{ reference: 'Practitioner/dr-diaz' }] });
    expect(comm.sent).toBeDefined();
    expect(comm.received).toBeDefined();
    const kinds = (await listEvents(db.sql, cr!.id)).map((e) => e.kind);
    expect(kinds).toEqual(['run_started', 'step_fired', 'notified', 'delivered']);
  });

  it('a resent message (same MSH-10) starts no second run and pages nobody again', async () => {
    const before = receiver.received.length;
    await intake.receive(withControlId('spine/oru-r01.hl7', 'DELIV1'), { source: 'mllp', peer: null });
    while ((await worker.processBatch()) > 0) { /* drain */ }
    await delivery.scheduler.drain();
    expect(receiver.received.length).toBe(before);
  });

  it('a failure firing the step inside the save leaves the message processed, and the urgent lane pages once', async () => {
    const before = receiver.received.length;
    failReads = 1;
    wakes.splice(0);
    const r = await intake.receive(withControlId('spine/oru-r01.hl7', 'DELIV2'), { source: 'mllp', peer: null });
    while ((await worker.processBatch()) > 0) { /* drain */ }
    expect(failReads).toBe(0);
    // what the save left due wakes every process's urgent lane
    expect(await wakesUntilRun()).toContain('urgent');
    const [row] = await db.sql<{ state: string }[]>`SELECT state FROM inbox WHERE id = ${r.ids[0]!}`;
    expect(row?.state).toBe('processed');
    const [cr] = await db.sql<{ id: string }[]>`SELECT id FROM fhir_resource WHERE inbox_id = ${r.ids[0]!} AND resource_type = 'CommunicationRequest'`;
    expect(await getRun(db.sql, cr!.id)).toMatchObject({ state: 'active', step: 0 });
    expect(await listEvents(db.sql, cr!.id)).toHaveLength(1);

    await delivery.scheduler.drain();
    expect((await getRun(db.sql, cr!.id))?.step).toBe(1);
    const pages = receiver.received.slice(before).filter((h) => (JSON.parse(h.body) as { messageId: string }).messageId === cr!.id);
    expect(pages).toHaveLength(1);
  });

  it('every reference the hot-path tables hold without a foreign key names an existing row', async () => {
    const rows = await referencingRows(db.sql);
    expect(rows).toMatchObject({ resources: expect.any(Number), runs: expect.any(Number) });
    for (const k of ['resources', 'runs', 'notifications', 'step attempts'] as const) expect(rows[k], k).toBeGreaterThan(0);
    expect(await danglingReferences(db.sql)).toEqual({
      'fhir_resource.inbox_id': 0, 'delivery_run.inbox_id': 0, 'delivery_notification.request_id': 0,
      'delivery_attempt.notification_id': 0, 'delivery_attempt.digest_id': 0,
    });
  });
});
