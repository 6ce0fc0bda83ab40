// A stalled scheduler shows: timers nobody fires, or a loop that stopped completing rounds, make
// /readyz answer 503 with the reason and set the delivery metrics.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { DeliveryScheduler } from '../../src/delivery/scheduler.js';
import { createDeliveryMetrics } from '../../src/delivery/metrics.js';
import { Registry } from 'prom-client';
import { openDelivery, recordingFetch, startRequest, TEST_CONFIG, TestClock } from './support.js';
import { buildDeliveryApp } from './api.js';

let db: TestDatabase;
const clock = new TestClock(Date.parse('2025-03-04T15:00:00Z'));

beforeAll(async () => { db = await createTestDatabase(); });
afterAll(async () => { await db.drop(); });

describe('readiness of delivery', () => {
  it('timers overdue past the stall limit make /readyz 503 and show in the overdue metric; firing them clears it', async () => {
    const h = await buildDeliveryApp(db, clock, { base: 'https://hooks.example', fetch: recordingFetch().fetch });
    await startRequest(db.sql, clock);
    expect((await h.app.request('/readyz')).status).toBe(200);
    clock.advance(TEST_CONFIG.stallMs + 5_000);
    const res = await h.app.request('/readyz');
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ status: 'unavailable', reason: expect.stringMatching(/^delivery timers overdue by 35 s$/) });
    const metrics = await (await h.app.request('/metrics')).text();
    expect(metrics).toMatch(/^switchboard_delivery_timer_overdue_seconds 35$/m);
    await h.service.scheduler.drain();
    expect((await h.app.request('/readyz')).status).toBe(200);
  });

  // the schedule does not load until released: a round (or a look of the urgent lane) that needs it does not end
  async function stuckScheduler() {
    // each case sees only its own run: the earlier cases' later steps never come due
    await db.sql`UPDATE delivery_run SET due_at = NULL, due_kind = NULL`;
    const { service } = await openDelivery(db.sql, { base: 'https://hooks.example', clock, fetch: recordingFetch().fetch });
    const registry = new Registry();
    const metrics = createDeliveryMetrics(registry);
    let release: () => void = () => {};
    const held = new Promise<void>((r) => { release = r; });
    const stuck = new DeliveryScheduler({
      fire: { sql: db.sql, clock: clock.now, schedule: async () => { await held; return service.compiled(); }, settings: TEST_CONFIG, metrics },
      send: { sql: db.sql, clock: clock.now, schedule: () => service.compiled(), settings: TEST_CONFIG, push: null },
      pollMs: 50, batch: 10, sendConcurrency: 4, stallMs: 300,
    });
    return { stuck, registry, release };
  }

  it('a loop that stops completing rounds is not ready after the stall limit', async () => {
    clock.advance(60_000);
    // routine: the rounds fire it (the urgent lane takes only urgent first steps)
    const { stuck, registry, release } = await stuckScheduler();
    await startRequest(db.sql, clock, { priority: 'routine' });
    await stuck.start();
    await new Promise((r) => setTimeout(r, 600));
    const r = await stuck.readiness();
    expect(r.ok).toBe(false);
    expect(r.reason).toMatch(/^delivery scheduler stalled: no round for \d+ s$/);
    const age = Number((await registry.getSingleMetricAsString('switchboard_delivery_scheduler_heartbeat_age_seconds')).trim().split(' ').at(-1));
    expect(age).toBeGreaterThan(0.3);
    release();
    await stuck.stop();
    expect((await stuck.readiness()).ok).toBe(true);
  });

  it('an urgent lane stuck in one look is not ready after the stall limit, though the rounds go on', async () => {
    clock.advance(60_000);
    const { stuck, release } = await stuckScheduler();
    await startRequest(db.sql, clock, { priority: 'stat' });
    await stuck.start();
    await new Promise((r) => setTimeout(r, 600));
    const r = await stuck.readiness();
    expect(r.ok).toBe(false);
    expect(r.reason).toMatch(/^delivery urgent lane stalled: one look running for \d+ s$/);
    release();
    await stuck.stop();
    expect((await stuck.readiness()).ok).toBe(true);
  });
});
