// The first step of an urgent run has its own lane: it is fired in its own transaction as soon as
// the run is committed, while a round is still writing routine timers in a long one, and its page
// is handed to the sender at that commit. Runs are claimed FOR UPDATE SKIP LOCKED by the lane, the
// rounds and other processes alike: a step is fired once whichever gets it.
import type { Communication } from 'fhir/r4.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import type { DeliveryService } from '../../src/delivery/index.js';
import { fireDueRuns, type FireDeps } from '../../src/delivery/fire.js';
import { URGENT_GRACE_MS } from '../../src/delivery/urgent.js';
import { notificationId } from '../../src/delivery/ids.js';
import { saveResources } from '../../src/fhir/index.js';
import { listAttempts, listNotifications, type ClaimedAttempt } from '../../src/store/index.js';
import { openDelivery, recordingFetch, startRequest, TEST_CONFIG, TestClock, type RecordedCall } from './support.js';

let db: TestDatabase;
let service: DeliveryService;
let replica: DeliveryService;
let calls: RecordedCall[];
let fire: FireDeps;
// Tue 2025-03-04 10:00 New York: dr-baker covers `ward`
const clock = new TestClock(Date.parse('2025-03-04T15:00:00Z'));
const BASE = 'https://hooks.example';
const PEOPLE = ['dr-ames', 'dr-baker', 'dr-cole', 'sup-dale', 'dr-lane'];
const handoff = { limit: 64, leaseMs: TEST_CONFIG.leaseMs };
const rounds = { kind: 'timers', leaveFreshUrgentMs: URGENT_GRACE_MS } as const;
const lane = { kind: 'urgent' } as const;

beforeAll(async () => {
  db = await createTestDatabase();
  const rec = recordingFetch();
  calls = rec.calls;
  ({ service } = await openDelivery(db.sql, { base: BASE, clock, fetch: rec.fetch }));
  ({ service: replica } = await openDelivery(db.sql, { base: BASE, clock, fetch: rec.fetch }));
  fire = { sql: db.sql, clock: clock.now, schedule: () => service.compiled(), settings: TEST_CONFIG };
});
afterAll(async () => {
  await db.drop();
});
// each case sees only its own runs: the earlier cases' later steps never come due
beforeEach(async () => {
  await db.sql`UPDATE delivery_run SET due_at = NULL, due_kind = NULL`;
  clock.advance(60 * 60_000);
});

const stepOnes = async (id: string) => (await listNotifications(db.sql, id)).filter((n) => n.kind === 'step' && n.seq === 1);
const pagesOf = (id: string) => calls.filter((c) => (JSON.parse(c.body) as { messageId: string }).messageId === id);
const lockWaits = async () => (await db.sql<{ n: number }[]>`
  SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`)[0]!.n;

/**
 * Holds a routine run's step inside its round's transaction: an uncommitted Communication with the
 * id the round will save for it (its notification's, per person) makes that save wait until
 * released (rolled back: the round's own then goes in). Nothing it holds is the run's row, which
 * the round claims.
 */
async function holdRoundOn(requestId: string): Promise<() => Promise<void>> {
  let release!: () => void;
  const released = new Promise<void>((r) => { release = r; });
  let held!: () => void;
  const holding = new Promise<void>((r) => { held = r; });
  const rollback = new Error('released');
  const tx = db.sql.begin(async (sql) => {
    const comms: Communication[] = PEOPLE.map((who) => ({ resourceType: 'Communication', id: notificationId(requestId, 'step', 1, who), status: 'in-progress' }));
    await saveResources(sql, comms, { now: new Date(clock.t) });
    held();
    await released;
    throw rollback;
  }).catch((e: unknown) => { if (e !== rollback) throw e; });
  await holding;
  return async () => { release(); await tx; };
}

describe('the urgent lane', () => {
  it('fires an urgent run poked during a long routine round, and sends its page, before that round commits', async () => {
    // routine, paged now (policy routine-now): the round fires it
    const routine = await startRequest(db.sql, clock, { priority: 'routine', role: 'rounds', policy: 'routine-now' });
    const release = await holdRoundOn(routine);
    await service.scheduler.start();
    try {
      // the round has claimed the routine run and waits, inside its transaction, on the held key
      await vi.waitFor(async () => expect(await lockWaits()).toBe(1), { timeout: 20_000, interval: 20 });
      const urgent = await startRequest(db.sql, clock, { priority: 'stat' });
      service.poke({ urgent: true });
      await vi.waitFor(() => expect(pagesOf(urgent)).toHaveLength(1), { timeout: 20_000, interval: 20 });
      expect((await stepOnes(urgent)).map((n) => n.recipient)).toEqual(['dr-baker']); // committed
      // the round is still inside its transaction: nothing of the routine run is committed
      expect(await lockWaits()).toBe(1);
      expect(await stepOnes(routine)).toEqual([]);
      await release();
      await vi.waitFor(async () => expect((await stepOnes(routine)).map((n) => n.recipient)).toEqual(['dr-baker']), { timeout: 20_000, interval: 20 });
      expect(await stepOnes(urgent)).toHaveLength(1);
      expect(pagesOf(urgent)).toHaveLength(1);
    } finally {
      await service.scheduler.stop();
    }
  });

  it('takes only the first step of urgent runs; the rounds leave a fresh one to the lanes, then take it as their fallback', async () => {
    const routine = await startRequest(db.sql, clock, { priority: 'routine', role: 'rounds', policy: 'routine-now' });
    const urgent = await startRequest(db.sql, clock, { priority: 'asap' });
    // the round fires the routine run, not the urgent one started just now
    expect(await fireDueRuns(fire, 200, handoff, rounds)).toMatchObject({ fired: 1 });
    expect(await stepOnes(routine)).toHaveLength(1);
    expect(await stepOnes(urgent)).toEqual([]);
    // no lane got to it: past the grace any round takes it
    clock.advance(URGENT_GRACE_MS);
    const r = await fireDueRuns(fire, 200, handoff, rounds);
    expect(r.fired).toBe(1);
    expect(r.claimed.map((a) => a.request_id)).toEqual([urgent]);
    // the step after (due 20 s later) is the rounds' too: the lane leaves it
    clock.advance(20_000);
    expect(await fireDueRuns(fire, 200, handoff, lane)).toMatchObject({ fired: 0 });
    expect(await fireDueRuns(fire, 200, handoff, rounds)).toMatchObject({ fired: 1 });
    expect((await listNotifications(db.sql, urgent)).filter((n) => n.kind === 'step').map((n) => n.seq)).toEqual([1, 2]);
  });

  it('fires each step once while lanes and rounds of two processes race for the same runs', async () => {
    const ids = await Promise.all(Array.from({ length: 24 }, () => startRequest(db.sql, clock, { priority: 'stat' })));
    // past the grace: the rounds may take them too, so each run is raced for by every claimer below
    clock.advance(URGENT_GRACE_MS);
    const replicaFire: FireDeps = { ...fire, schedule: () => replica.compiled() };
    const claimers = [fire, replicaFire].flatMap((d) => [
      () => fireDueRuns(d, 1, handoff, lane), () => fireDueRuns(d, 1, handoff, lane),
      () => fireDueRuns(d, 5, handoff, rounds), () => fireDueRuns(d, 5, handoff, { kind: 'timers', leaveFreshUrgentMs: 0 }),
    ]);
    const claimed: ClaimedAttempt[] = [];
    let fired = 0;
    await Promise.all(claimers.map(async (c) => {
      for (;;) {
        const r = await c();
        claimed.push(...r.claimed);
        fired += r.fired;
        if (r.fired === 0) return;
      }
    }));
    expect(fired).toBe(ids.length);
    // one step-1 notification and one page claimed per run, each claimed by one claimer
    for (const id of ids) {
      expect((await stepOnes(id)).map((n) => n.recipient)).toEqual(['dr-baker']);
      expect((await listAttempts(db.sql, id)).filter((a) => a.channel === 'webhook').map((a) => [a.state, a.attempts])).toEqual([['sending', 1]]);
    }
    expect(claimed.map((a) => a.request_id).sort()).toEqual([...ids].sort());
    // what was claimed is not claimed again by either process's outbox look while the lease holds
    await Promise.all([service.scheduler.drain(), replica.scheduler.drain()]);
    for (const id of ids) expect(pagesOf(id)).toHaveLength(0);
  });

  it('fires what is due in a drain (tests, the CLI): the lane first, then the rounds', async () => {
    const urgent = await startRequest(db.sql, clock, { priority: 'urgent' });
    const routine = await startRequest(db.sql, clock, { priority: 'routine', role: 'rounds', policy: 'routine-now' });
    expect(await service.scheduler.drain()).toBeGreaterThanOrEqual(2);
    expect(await stepOnes(urgent)).toHaveLength(1);
    expect(await stepOnes(routine)).toHaveLength(1);
    expect(pagesOf(urgent)).toHaveLength(1);
  });
});
