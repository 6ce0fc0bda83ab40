// SIGKILL the gateway while 1,000 escalations are active — once in the middle of a step's burst of
// pages, once between steps — and restart it: every step fires once (one notification per request
// and step, one webhook-id per page), nothing fires twice, and every step due after the restart
// fires within 2 s of its deadline. Timers live in PostgreSQL; the killed process held none.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { spawnGateway, type GatewayProcess } from '../support/process.js';
import { startReceiver, type Receiver } from '../delivery/receiver.js';
import { findPhi } from '../support/phi.js';
import { arrivals, max, pct, saveChaosSchedule, startMany, stepLateness, waitFor } from './delivery-support.js';

const N = 1_000;
const WAIT_MS = 20_000; // each step's wait: longer than a restart on a loaded machine
/**
 * The goal: a step due after the restart fires within 2 s of its deadline. Asserted as such when the
 * test runs alone (CHAOS_STRICT_TIMING=1, as the README's figures were taken); in the full suite, on a
 * machine shared with other test files, only "before the step after it was due" — the exactly-once
 * assertions hold either way, and the figures are printed.
 */
const ON_TIME_MS = process.env.CHAOS_STRICT_TIMING === '1' ? 2_000 : WAIT_MS;
let db: TestDatabase;
let receiver: Receiver;
const dataDir = mkdtempSync(path.join(os.tmpdir(), 'sb-delivery-kill-'));
let gw: GatewayProcess | undefined;

beforeAll(async () => {
  db = await createTestDatabase();
  receiver = await startReceiver();
  await saveChaosSchedule(db.sql, receiver.base, 'PT20S');
});
afterAll(async () => {
  if (gw && gw.child.exitCode === null) {
    gw.child.kill('SIGTERM');
    await gw.exited;
  }
  // every page the gateways sent: no patient name, MRN or birth date of the fixtures
  expect(findPhi(receiver.received.map((r) => r.body).join('\n'))).toEqual([]);
  await receiver.close();
  await db.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

const env = () => ({ DATABASE_URL: db.url, DATA_DIR: dataDir });
const stepsFired = async (step: number) => (await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM delivery_notification WHERE kind = 'step' AND seq = ${step}`)[0]!.n;
const stepsArrived = (step: number) => [...arrivals(receiver).keys()].filter((k) => k.endsWith(`#${step}`)).length;

async function killAndRestart(): Promise<number> {
  const dead = gw!;
  dead.child.kill('SIGKILL');
  await dead.exited;
  const t = Date.now();
  gw = await spawnGateway(env(), 90_000);
  return Date.now() - t;
}

describe('chaos: SIGKILL with 1,000 escalations active', () => {
  it('every step fires once after a restart, the ones due after it within 2 s, none twice', async () => {
    gw = await spawnGateway(env(), 90_000);
    await startMany(db.sql, N, 'kill');
    // kill 1: in the middle of step 1's burst
    await waitFor(() => stepsArrived(1) >= 300, 60_000, 'step 1 under way');
    const restart1 = await killAndRestart();
    await waitFor(() => stepsArrived(1) === N, 60_000, 'every step 1');
    // kill 2: once every step 2 has fired (its pages still going out), before step 3 is due
    await waitFor(async () => (await stepsFired(2)) === N, 60_000, 'every step 2 fired');
    const restart2 = await killAndRestart();
    expect(restart2).toBeLessThan(WAIT_MS - 2_000);
    await waitFor(() => stepsArrived(2) === N && stepsArrived(3) === N, 90_000, 'every step 2 and 3 page');
    await new Promise((r) => setTimeout(r, 1_000)); // anything that would fire twice has had time to

    const { lateMs, counts } = await stepLateness(db.sql, 'kill', WAIT_MS);
    expect(counts).toHaveLength(3 * N);
    expect(counts.every((n) => n === 1)).toBe(true);
    const got = arrivals(receiver);
    expect(got.size).toBe(3 * N);
    expect([...got.values()].every((a) => a.ids.size === 1)).toBe(true);
    // a page sent the instant before a kill, not yet recorded, goes again with the same webhook-id
    // (receivers deduplicate by it): at most the sends in flight, and only around a kill
    const resent = [...got.values()].filter((a) => a.count > 1).length;
    console.log(`delivery sigkill: restarts ${restart1} / ${restart2} ms; lateness p50/max step 1 ${pct(lateMs.get(1)!, 0.5)}/${max(lateMs.get(1)!)} ms, step 2 ${pct(lateMs.get(2)!, 0.5)}/${max(lateMs.get(2)!)} ms, step 3 ${pct(lateMs.get(3)!, 0.5)}/${max(lateMs.get(3)!)} ms; pages re-sent around a kill: ${resent}`);
    expect(resent).toBeLessThanOrEqual(64 * 2);
    // steps 2 and 3 were due after a restart: on time; step 1's stragglers waited for the restart
    expect(max(lateMs.get(2)!)).toBeLessThan(ON_TIME_MS);
    expect(max(lateMs.get(3)!)).toBeLessThan(ON_TIME_MS);
    expect(max(lateMs.get(1)!)).toBeLessThan(restart1 + ON_TIME_MS);
  }, 300_000);
});
