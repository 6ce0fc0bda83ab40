// The store's health ping costs nothing much while the gateway is idle and is frequent while it
// matters: while a call waits on the store (a frozen store is found within an interval plus the
// deadline) and while the store is down (its return is found within an interval, and whoever waits
// for it is told). Pings are counted at a proxy in front of the test database.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/obs/log.js';
import { StoreHealth } from '../../src/store/health.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { PgProxy } from '../support/pg-proxy.js';

let db: TestDatabase;
let proxy: PgProxy;
beforeAll(async () => {
  db = await createTestDatabase({ migrate: false });
  proxy = await PgProxy.start(db.url);
});
afterAll(async () => {
  await proxy.close();
  await db.drop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('store health ping', () => {
  it('idle: only the long interval; a waiting call: the short one; down: the short one until it answers, then onUp', async () => {
    const health = new StoreHealth(proxy.url(db.url), { intervalMs: 50, idleIntervalMs: 60_000, timeoutMs: 300, log: silentLogger });
    let ups = 0;
    health.onUp(() => { ups++; });
    try {
      expect(await health.ping()).toBe(true); // the ping connection is open (its start is not counted below)
      health.start();
      const idle0 = proxy.clientWrites;
      await sleep(500);
      expect(proxy.clientWrites - idle0).toBe(0);

      // a call that takes 500 ms: the short interval pings meanwhile
      const busy0 = proxy.clientWrites;
      await health.guard(() => sleep(500));
      const busyPings = proxy.clientWrites - busy0;
      expect(busyPings).toBeGreaterThanOrEqual(3);
      await sleep(200);
      const after0 = proxy.clientWrites;
      await sleep(500);
      expect(proxy.clientWrites - after0).toBe(0); // idle again

      // the server goes away: a caller's failure marks it down at once, later calls fail at once
      proxy.mode = 'refuse';
      proxy.cutAll();
      await expect(health.guard(() => Promise.reject(Object.assign(new Error('gone'), { code: 'ECONNREFUSED' })))).rejects.toMatchObject({ code: 'ECONNREFUSED' });
      for (let i = 0; i < 50 && !health.down; i++) await sleep(20);
      expect(health.down).toBe(true);
      await expect(health.guard(() => Promise.resolve(1))).rejects.toMatchObject({ code: 'ERR_STORE_DOWN' });

      // back: the short interval finds it (the long one would take a minute), and onUp runs once
      proxy.mode = 'pass';
      for (let i = 0; i < 100 && health.down; i++) await sleep(20);
      expect(health.down).toBe(false);
      expect(ups).toBe(1);
      expect(await health.guard(() => Promise.resolve(1))).toBe(1);
    } finally {
      proxy.mode = 'pass';
      await health.stop();
    }
  });
});
