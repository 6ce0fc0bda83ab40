// Escalation runs on real PostgreSQL with an injected clock: each deadline fires the next step
// exactly once, acknowledgement stops the run, repeats and the fallback follow the policy, routine
// waits for the digest, acknowledged-without-response re-notifies, stale runs expire, nobody on
// call goes straight to the fallback with an alert, and targets are resolved when a step fires.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { danglingReferences, referencingRows } from '../support/references.js';
import { acknowledge, respond, resolve, type DeliveryService } from '../../src/delivery/index.js';
import { DELIVERY_WAKE_CHANNEL, getRun, listEvents, listNotifications, notifyDeliveryWake, readResource } from '../../src/store/index.js';
import { openDelivery, recordingFetch, startRequest, TEST_CONFIG, TestClock, type RecordedCall } from './support.js';
import type { Metrics } from '../../src/obs/index.js';
import { findPhi } from '../support/phi.js';

let db: TestDatabase;
let service: DeliveryService;
let metrics: Metrics;
let calls: RecordedCall[];
const sent: string[] = [];
// Tue 2025-03-04 10:00 New York: dr-baker covers `ward` (shift 3 of the daily rotation)
const clock = new TestClock(Date.parse('2025-03-04T15:00:00Z'));
const BASE = 'https://hooks.example';

beforeAll(async () => {
  db = await createTestDatabase();
  const rec = recordingFetch();
  calls = rec.calls;
  ({ service, metrics } = await openDelivery(db.sql, { base: BASE, clock, fetch: rec.fetch }));
});
afterAll(async () => {
  expect(findPhi(sent.join('\n'))).toEqual([]);
  // steps, ladders, digests, forwards and re-notifications all ran: none left a reference to nothing
  expect((await referencingRows(db.sql))['digest attempts']).toBeGreaterThan(0);
  expect(Object.values(await danglingReferences(db.sql)).every((n) => n === 0)).toBe(true);
  await db.drop();
});
beforeEach(() => {
  sent.push(...calls.map((c) => c.body));
  calls.length = 0;
});

const ctx = async (practitioner: string) => ({ sql: db.sql, now: new Date(clock.t), compiled: await service.compiled(), practitioner });
const stepsOf = async (id: string) => (await listNotifications(db.sql, id)).filter((n) => n.kind === 'step').map((n) => `${n.seq}:${n.recipient}`);
const hooksTo = (who: string) => calls.filter((c) => c.url === `${BASE}/${who}`);
const at = async (iso: string) => { clock.set(iso); await service.scheduler.drain(); };

describe('an escalation run', () => {
  it('fires step 1 at once, and each next step exactly once when its deadline passes unacknowledged', async () => {
    clock.set('2025-03-04T15:00:00Z');
    const id = await startRequest(db.sql, clock);
    await service.scheduler.drain();
    expect(await stepsOf(id)).toEqual(['1:dr-baker']);
    expect(hooksTo('baker')).toHaveLength(1);

    await at('2025-03-04T15:00:19.999Z');
    await service.scheduler.drain();
    expect(await stepsOf(id)).toEqual(['1:dr-baker']);

    await at('2025-03-04T15:00:20Z');
    await service.scheduler.drain();
    await service.scheduler.drain();
    expect(await stepsOf(id)).toEqual(['1:dr-baker', '2:dr-cole']);
    expect(hooksTo('cole')).toHaveLength(1);
    expect(hooksTo('baker')).toHaveLength(1);
  });

  it('acknowledgement stops the run: no later step, no pending send', async () => {
    clock.set('2025-03-04T16:00:00Z');
    const id = await startRequest(db.sql, clock);
    await service.scheduler.drain();
    clock.set('2025-03-04T16:00:05Z');
    await acknowledge(await ctx('dr-baker'), id);
    for (const t of ['16:00:20', '16:00:40', '16:01:00', '16:03:00']) await at(`2025-03-04T${t}Z`);
    expect((await stepsOf(id))).toEqual(['1:dr-baker']);
    const run = await getRun(db.sql, id);
    expect(run?.state).toBe('acknowledged');
    expect(run?.acknowledged_by).toBe('dr-baker');
    const cr = await readResource(db.sql, 'CommunicationRequest', id);
    expect((cr?.resource as { status?: string }).status).toBe('completed');
  });

  it('follows the policy unacknowledged: steps, the repeat, then the fallback, then stays open', async () => {
    clock.set('2025-03-04T17:00:00Z');
    const id = await startRequest(db.sql, clock);
    for (let s = 0; s <= 100; s += 10) await at(new Date(Date.parse('2025-03-04T17:00:00Z') + s * 1000).toISOString());
    expect(await stepsOf(id)).toEqual(['1:dr-baker', '2:dr-cole', '3:dr-baker', '4:dr-cole', '5:sup-dale']);
    expect(hooksTo('dale')).toHaveLength(1);
    const run = await getRun(db.sql, id);
    expect(run).toMatchObject({ state: 'exhausted', step: 5, due_at: null });
    const kinds = (await listEvents(db.sql, id)).map((e) => e.kind);
    expect(kinds).toContain('escalation_complete');
  });

  it('resolves targets when the step fires: a hand-off between steps pages the person on call then', async () => {
    // Wed 06:59:50 New York: dr-baker's shift ends at 07:00, dr-ames takes over
    clock.set('2025-03-05T11:59:50Z');
    const id = await startRequest(db.sql, clock);
    await service.scheduler.drain();
    await at('2025-03-05T12:00:10Z'); // step 2: backups
    await at('2025-03-05T12:00:30Z'); // step 3: the role again (repeat) -> now dr-ames
    expect(await stepsOf(id)).toEqual(['1:dr-baker', '2:dr-cole', '3:dr-ames']);
  });

  it('re-notifies an acknowledged message that gets no response within the policy window, until a reply', async () => {
    clock.set('2025-03-04T18:00:00Z');
    const id = await startRequest(db.sql, clock);
    await service.scheduler.drain();
    clock.set('2025-03-04T18:00:10Z');
    await acknowledge(await ctx('dr-baker'), id);
    await at('2025-03-04T18:01:09Z');
    expect((await listNotifications(db.sql, id)).filter((n) => n.kind === 'renotify')).toHaveLength(0);
    await at('2025-03-04T18:01:10Z');
    await service.scheduler.drain();
    const renotified = (await listNotifications(db.sql, id)).filter((n) => n.kind === 'renotify');
    expect(renotified.map((n) => `${n.seq}:${n.recipient}`)).toEqual(['1:dr-baker']);
    expect(hooksTo('baker').map((c) => JSON.parse(c.body).type)).toEqual(['notification', 'renotify']);
    clock.set('2025-03-04T18:01:30Z');
    await respond(await ctx('dr-baker'), id, 'Repeat potassium ordered');
    await at('2025-03-04T18:10:00Z');
    expect((await listNotifications(db.sql, id)).filter((n) => n.kind === 'renotify')).toHaveLength(1);
    expect((await getRun(db.sql, id))?.state).toBe('completed');
  });

  it('routine waits for the start of day and goes out as one digest per person', async () => {
    // Tue 10:00: two routine results for ward (dr-baker covers; his start of day is the default 08:00)
    clock.set('2025-03-04T15:00:00Z');
    const a = await startRequest(db.sql, clock, { priority: 'routine', routedTo: 'dr-baker' });
    const b = await startRequest(db.sql, clock, { priority: 'routine', routedTo: 'dr-baker' });
    await service.scheduler.drain();
    expect((await getRun(db.sql, a))?.state).toBe('held');
    expect((await getRun(db.sql, a))?.due_at?.toISOString()).toBe('2025-03-05T13:00:00.000Z'); // Wed 08:00 EST
    await at('2025-03-05T12:59:59Z');
    expect(await stepsOf(a)).toEqual([]);
    calls.length = 0;
    await at('2025-03-05T13:00:00Z');
    // Wed 08:00: dr-ames is on call then
    expect(await stepsOf(a)).toEqual(['1:dr-ames']);
    expect(await stepsOf(b)).toEqual(['1:dr-ames']);
    const digests = hooksTo('ames').map((c) => JSON.parse(c.body) as { type: string; messageIds: string[] });
    expect(digests).toHaveLength(1);
    expect(digests[0]!.type).toBe('digest');
    expect([...digests[0]!.messageIds].sort()).toEqual([a, b].sort());
  });

  it('routine uses the practitioner start of day, and a policy may send routine at once', async () => {
    clock.set('2025-03-04T15:00:00Z');
    const held = await startRequest(db.sql, clock, { priority: 'routine', routedTo: 'dr-ames' });
    const now = await startRequest(db.sql, clock, { priority: 'routine', role: 'rounds', policy: 'routine-now' });
    await service.scheduler.drain();
    expect((await getRun(db.sql, held))?.due_at?.toISOString()).toBe('2025-03-05T12:30:00.000Z'); // dr-ames: 07:30
    expect(await stepsOf(now)).toEqual(['1:dr-baker']);
  });

  it('a routine run started with the schedule at hand starts held: the timer and timeline of the first look, and no wake-up', async () => {
    clock.set('2025-03-04T15:00:00Z');
    const hold = { compiled: await service.compiled(), startOfDay: TEST_CONFIG.startOfDay, maxAgeMs: TEST_CONFIG.maxAgeMs };
    const wakes: string[] = [];
    const listening = await db.sql.listen(DELIVERY_WAKE_CHANNEL, (v) => wakes.push(v));
    const looked = await startRequest(db.sql, clock, { priority: 'routine', routedTo: 'dr-ames' });
    await service.scheduler.drain();
    wakes.length = 0;
    const held = await startRequest(db.sql, clock, { priority: 'routine', routedTo: 'dr-ames', hold });
    // no look needed: held in the transaction that started it, as the scheduler's look held the other
    const [a, b] = [await getRun(db.sql, looked), await getRun(db.sql, held)];
    expect(b).toMatchObject({ state: 'held', step: 0, due_kind: 'digest' });
    expect(b?.due_at?.toISOString()).toBe(a?.due_at?.toISOString());
    expect(b?.due_at?.toISOString()).toBe('2025-03-05T12:30:00.000Z'); // dr-ames: 07:30
    const timeline = async (id: string) => (await listEvents(db.sql, id)).map((e) => `${e.kind}: ${e.reason}`);
    expect(await timeline(held)).toEqual(await timeline(looked));
    // a sent NOTIFY arrives before a later one: once the probe's is heard, the start's would have been
    await notifyDeliveryWake(db.sql, 'attempt');
    for (let i = 0; i < 200 && !wakes.includes('attempt'); i++) await new Promise((r) => setTimeout(r, 10));
    expect(wakes).toEqual(['attempt']);
    await listening.unlisten();
    // then the digest finds it as it finds the other
    await at('2025-03-05T12:30:00Z');
    expect(await stepsOf(held)).toEqual(await stepsOf(looked));
    expect(await stepsOf(held)).toHaveLength(1);
  });

  it('a routine run is not held at its start when it is already stale, or when its policy sends routine at once', async () => {
    clock.set('2025-03-04T15:00:00Z');
    const hold = { compiled: await service.compiled(), startOfDay: TEST_CONFIG.startOfDay, maxAgeMs: TEST_CONFIG.maxAgeMs };
    const stale = await startRequest(db.sql, clock, { priority: 'routine', routedTo: 'dr-baker', hold, receivedAt: new Date(clock.t - TEST_CONFIG.maxAgeMs - 60_000) });
    const now = await startRequest(db.sql, clock, { priority: 'routine', role: 'rounds', policy: 'routine-now', hold });
    expect(await getRun(db.sql, stale)).toMatchObject({ state: 'active', due_kind: 'step' });
    expect(await getRun(db.sql, now)).toMatchObject({ state: 'active', due_kind: 'step' });
    await service.scheduler.drain();
    expect((await getRun(db.sql, stale))?.state).toBe('expired');
    expect(await stepsOf(now)).toEqual(['1:dr-baker']);
  });

  it('nobody on call goes straight to the fallback and raises an alert', async () => {
    clock.set('2025-03-04T19:00:00Z');
    const before = await alerts('nobody_oncall');
    const id = await startRequest(db.sql, clock, { role: 'gap' });
    await service.scheduler.drain();
    expect(await stepsOf(id)).toEqual(['5:sup-dale']);
    expect(await alerts('nobody_oncall')).toBe(before + 1);
    const events = await listEvents(db.sql, id);
    expect(events.find((e) => e.kind === 'nobody_oncall')?.reason).toMatch(/role 'gap' has nobody on call: straight to the fallback \(step 5\)/);
  });

  it('a request resolved elsewhere, or older than the limit, never pages anyone', async () => {
    clock.set('2025-03-04T20:00:00Z');
    const revoked = await startRequest(db.sql, clock, { status: 'revoked' });
    const old = await startRequest(db.sql, clock, { receivedAt: new Date('2025-03-03T19:00:00Z') });
    await service.scheduler.drain();
    expect(await stepsOf(revoked)).toEqual([]);
    expect(await stepsOf(old)).toEqual([]);
    expect((await getRun(db.sql, revoked))?.close_reason).toMatch(/resolved elsewhere: the CommunicationRequest is revoked/);
    expect((await getRun(db.sql, old))?.close_reason).toMatch(/^stale/);
    expect(calls).toHaveLength(0);
  });

  it('a run resolved between steps stops, and one whose request is completed elsewhere expires at its next step', async () => {
    clock.set('2025-03-04T21:00:00Z');
    const a = await startRequest(db.sql, clock);
    const b = await startRequest(db.sql, clock);
    await service.scheduler.drain();
    await resolve(await ctx('dr-baker'), a);
    await db.sql`UPDATE fhir_resource SET status = 'completed' WHERE resource_type = 'CommunicationRequest' AND id = ${b}`;
    await at('2025-03-04T21:00:20Z');
    expect(await stepsOf(a)).toEqual(['1:dr-baker']);
    expect(await stepsOf(b)).toEqual(['1:dr-baker']);
    expect((await getRun(db.sql, a))?.state).toBe('completed');
    expect((await getRun(db.sql, b))?.state).toBe('expired');
  });

  it('a provider routed directly is step 1, then the role chain follows', async () => {
    clock.set('2025-03-04T22:00:00Z');
    const id = await startRequest(db.sql, clock, { directTo: 'dr-ames' });
    await service.scheduler.drain();
    await at('2025-03-04T22:00:20Z');
    expect(await stepsOf(id)).toEqual(['1:dr-ames', '2:dr-baker']);
  });

  it('a per-person ladder sends channel after channel, each a wait apart, skipping what cannot reach them', async () => {
    clock.set('2025-03-04T23:00:00Z');
    const id = await startRequest(db.sql, clock, { role: 'ladder', policy: 'laddered' });
    await service.scheduler.drain();
    // no push subscription: the SMS gateway's rung is brought forward at once; voice waits its minute
    expect(hooksTo('lane-sms')).toHaveLength(1);
    expect(hooksTo('lane-voice')).toHaveLength(0);
    await at('2025-03-04T23:00:59Z');
    expect(hooksTo('lane-voice')).toHaveLength(0);
    await at('2025-03-04T23:02:00Z');
    expect(hooksTo('lane-voice')).toHaveLength(1);
    const skipped = (await listEvents(db.sql, id)).filter((e) => e.kind === 'attempt_skipped').map((e) => e.channel);
    expect(skipped.sort()).toEqual(['pager', 'push']);
  });

  it('an acknowledgement cancels the ladder rungs not yet sent', async () => {
    clock.set('2025-03-05T01:00:00Z');
    const id = await startRequest(db.sql, clock, { role: 'ladder', policy: 'laddered' });
    await service.scheduler.drain();
    clock.set('2025-03-05T01:00:30Z');
    await acknowledge(await ctx('dr-lane'), id);
    await at('2025-03-05T01:05:00Z');
    expect(hooksTo('lane-voice')).toHaveLength(0);
    expect((await listEvents(db.sql, id)).some((e) => e.kind === 'cancelled' && e.channel === 'webhook')).toBe(true);
  });
});

async function alerts(reason: string): Promise<number> {
  const m = (await metrics.registry.getSingleMetric('switchboard_delivery_alerts_total')?.get())?.values ?? [];
  return m.find((v) => v.labels.reason === reason)?.value ?? 0;
}
