// Two gateway processes on one database, 1,000 escalation runs of three steps each: both fire
// timers and send pages (FOR UPDATE SKIP LOCKED), and no notification and no page is duplicated.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { spawnGateway, type GatewayProcess } from '../support/process.js';
import { startReceiver, type Receiver } from '../delivery/receiver.js';
import { arrivals, max, pct, saveChaosSchedule, startMany, stepLateness, waitFor } from './delivery-support.js';

const N = 1_000;
let db: TestDatabase;
let receiver: Receiver;
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sb-delivery-replicas-'));
const gateways: GatewayProcess[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  receiver = await startReceiver();
  await saveChaosSchedule(db.sql, receiver.base, 'PT5S');
});
afterAll(async () => {
  for (const g of gateways) if (g.child.exitCode === null) g.child.kill('SIGTERM');
  await Promise.all(gateways.map((g) => g.exited));
  await receiver.close();
  await db.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** What one gateway fired and sent, from its own /metrics. */
async function work(g: GatewayProcess): Promise<{ steps: number; sends: number }> {
  const text = await (await fetch(`http://127.0.0.1:${g.httpPort}/metrics`)).text();
  const sum = (name: string) => text.split('\n').filter((l) => l.startsWith(name)).reduce((a, l) => a + Number(l.split(' ').at(-1)), 0);
  return { steps: sum('switchboard_delivery_steps_fired_total'), sends: sum('switchboard_delivery_attempts_total{') };
}

describe('chaos: two gateways on one database', () => {
  it('fire 1,000 runs of three steps with no duplicate notification or page', async () => {
    const env = { DATABASE_URL: db.url, DATA_DIR: dataDir };
    gateways.push(...(await Promise.all([spawnGateway(env, 90_000), spawnGateway(env, 90_000)])));
    await startMany(db.sql, N, 'two');
    const count = (step: number) => [...arrivals(receiver).keys()].filter((k) => k.endsWith(`#${step}`)).length;
    await waitFor(() => count(1) === N && count(2) === N && count(3) === N, 120_000, 'every page of every step');
    await new Promise((r) => setTimeout(r, 1_000)); // anything that would fire twice has had time to

    const { counts, lateMs } = await stepLateness(db.sql, 'two', 5_000);
    expect(counts).toHaveLength(3 * N);
    expect(counts.every((n) => n === 1)).toBe(true);
    const got = arrivals(receiver);
    expect(got.size).toBe(3 * N);
    expect([...got.values()].every((a) => a.count === 1 && a.ids.size === 1)).toBe(true);
    const [a, b] = await Promise.all(gateways.map(work));
    console.log(`delivery replicas: steps fired ${a!.steps} + ${b!.steps}, sends ${a!.sends} + ${b!.sends}; lateness p50/max step 2 ${pct(lateMs.get(2)!, 0.5)}/${max(lateMs.get(2)!)} ms, step 3 ${pct(lateMs.get(3)!, 0.5)}/${max(lateMs.get(3)!)} ms`);
  }, 300_000);
});
