// A fired step's first sends are claimed in the transaction that fires it and handed to the sender
// at its commit: the page does not wait for the scheduler's next look at the outbox. Only what is
// due now and never tried is claimed, up to the room given; the rest stays for the outbox claim.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import type { DeliveryService } from '../../src/delivery/index.js';
import { fireDueRuns, type FireDeps } from '../../src/delivery/fire.js';
import { listAttempts } from '../../src/store/index.js';
import { openDelivery, recordingFetch, startRequest, TEST_CONFIG, TestClock, type RecordedCall } from './support.js';

let db: TestDatabase;
let service: DeliveryService;
let calls: RecordedCall[];
let fire: FireDeps;
// Tue 2025-03-04 10:00 New York: dr-baker covers `ward`
const clock = new TestClock(Date.parse('2025-03-04T15:00:00Z'));
const BASE = 'https://hooks.example';
const LEASE_MS = TEST_CONFIG.leaseMs;

beforeAll(async () => {
  db = await createTestDatabase();
  const rec = recordingFetch();
  calls = rec.calls;
  ({ service } = await openDelivery(db.sql, { base: BASE, clock, fetch: rec.fetch }));
  fire = { sql: db.sql, clock: clock.now, schedule: () => service.compiled(), settings: TEST_CONFIG };
});
afterAll(async () => {
  await db.drop();
});
// each case sees only its own runs: the earlier cases' later steps never come due
beforeEach(async () => {
  await db.sql`UPDATE delivery_run SET due_at = NULL, due_kind = NULL`;
});

const rows = async (id: string) => (await listAttempts(db.sql, id)).filter((a) => a.channel !== 'inbox').map((a) => ({ channel: a.channel, contact: a.contact, state: a.state, attempts: a.attempts }));

describe('handing a fired step to the sender', () => {
  it('claims the step\'s page in the firing transaction: leased, counted, returned to send at commit', async () => {
    const id = await startRequest(db.sql, clock);
    const r = await fireDueRuns(fire, 200, { limit: 64, leaseMs: LEASE_MS });
    expect(r.fired).toBe(1);
    expect(r.claimed.map((a) => ({ request: a.request_id, channel: a.channel, contact: a.contact, attempts: a.attempts, kind: a.kind, seq: a.seq, priority: a.priority }))).toEqual([
      { request: id, channel: 'webhook', contact: `${BASE}/baker`, attempts: 1, kind: 'step', seq: 1, priority: 'stat' },
    ]);
    expect(await rows(id)).toEqual([{ channel: 'webhook', contact: `${BASE}/baker`, state: 'sending', attempts: 1 }]);
    const [stored] = (await listAttempts(db.sql, id)).filter((a) => a.channel === 'webhook');
    expect(stored!.due_at!.getTime()).toBe(clock.t + LEASE_MS); // a process that dies before sending leaves it due again
    // claimed once: the outbox's own claim does not take it again while the lease holds
    expect(calls).toHaveLength(0);
    await service.scheduler.drain();
    expect(calls).toHaveLength(0);
  });

  it('without a handoff the step\'s page waits, scheduled, for the outbox claim', async () => {
    clock.advance(60_000);
    const id = await startRequest(db.sql, clock);
    const r = await fireDueRuns(fire, 200);
    expect(r).toMatchObject({ fired: 1, claimed: [] });
    expect(await rows(id)).toEqual([{ channel: 'webhook', contact: `${BASE}/baker`, state: 'scheduled', attempts: 0 }]);
    await service.scheduler.drain();
    expect(await rows(id)).toEqual([{ channel: 'webhook', contact: `${BASE}/baker`, state: 'delivered', attempts: 1 }]);
  });

  it('claims only what is due now (a ladder\'s later rungs wait), and no more than the room given', async () => {
    clock.advance(60_000);
    const lane = await startRequest(db.sql, clock, { role: 'ladder', policy: 'laddered' });
    const a = await startRequest(db.sql, clock);
    const b = await startRequest(db.sql, clock);
    const r = await fireDueRuns(fire, 200, { limit: 2, leaseMs: LEASE_MS });
    expect(r.fired).toBe(3);
    expect(r.claimed).toHaveLength(2);
    const states = [lane, a, b].map(async (id) => (await rows(id)).map((x) => `${x.channel}:${x.state}`));
    const [laneRows, aRows, bRows] = await Promise.all(states);
    // dr-lane: push due now; the SMS and voice gateways are later rungs (pager: no transport, skipped)
    expect(laneRows!.filter((x) => x.startsWith('webhook'))).toEqual(['webhook:scheduled', 'webhook:scheduled']);
    const sending = [...laneRows!, ...aRows!, ...bRows!].filter((x) => x.endsWith(':sending'));
    expect(sending).toHaveLength(2);
    expect([...laneRows!, ...aRows!, ...bRows!].filter((x) => !x.startsWith('pager') && x.endsWith(':scheduled'))).toHaveLength(3);
  });

});
