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

  it('a loop that stops completing rounds is not ready after the stall limit', async () => {
    const { service } = await openDelivery(db.sql, { base: 'https://hooks.example', clock, fetch: recordingFetch().fetch });
    await startRequest(db.sql, clock);
    const registry = new Registry();
    const metrics = createDeliveryMetrics(registry);
    // the schedule does not load until the end of the test: the round that needs it does not end
    let release: () => void = () => {};
    const held = new Promise<void>((r) => { release = r; });
    const stuck = new DeliveryScheduler({
      fire: { sql: db.sql, clock: clock.now, schedule: async () => { await held; return service.compiled(); }, settings: TEST_CONFIG, metrics },
      send: { sql: db.sql, clock: clock.now, schedule: () => service.compiled(), settings: TEST_CONFIG, push: null },
      pollMs: 50, batch: 10, sendConcurrency: 4, stallMs: 300,
    });
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
});
