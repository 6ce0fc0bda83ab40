// WORKER_GATHER_MS: a routine worker whose claim came back thin waits before its next one, so rows
// arriving a little apart are saved in one round (one transaction) instead of one round each; the
// critical lane never waits.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { intakeOn, oru, store, workerOn } from './support.js';

let db: TestDatabase;
beforeAll(async () => { db = await createTestDatabase(); });
afterAll(async () => { await db.drop(); });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits for the rows to be processed, failing after `withinMs`. */
async function untilProcessed(ids: readonly string[], withinMs = 10_000): Promise<void> {
  for (const end = Date.now() + withinMs; Date.now() < end; ) {
    const [r] = await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM inbox WHERE id = ANY(${ids}::bigint[]) AND state = 'processed'`;
    if (r!.n === ids.length) return;
    await sleep(20);
  }
  throw new Error('rows not processed');
}

describe('gathering rows before a claim', () => {
  it('a routine worker saves two rows stored 200 ms apart in one round', async () => {
    const rounds: number[] = [];
    // asleep until poked (no poll), gathering for a second after a thin claim
    const w = workerOn(db.sql, { pollMs: 600_000, gatherMs: 1_000, onStages: (s) => rounds.push(s.rows) });
    await w.start();
    await sleep(300); // its first round found nothing: asleep until a poke
    const intake = intakeOn(db.sql);
    const a = await store(intake, oru({ control: 'GA1', sender: 'GLAB', mrn: 'G1', order: 'GO1' }));
    w.poke();
    await sleep(200);
    const b = await store(intake, oru({ control: 'GA2', sender: 'GLAB', mrn: 'G2', order: 'GO2' }));
    w.poke();
    await untilProcessed([a, b]);
    await w.stop();
    expect(rounds).toEqual([2]);
  });

  it('the critical lane claims an urgent row at once, whatever it is given', async () => {
    const rounds: number[] = [];
    const lane = workerOn(db.sql, { pollMs: 600_000, gatherMs: 5_000, minPriority: 1, batch: 4, onStages: (s) => rounds.push(s.rows) });
    await lane.start();
    await sleep(300);
    const intake = intakeOn(db.sql);
    for (const n of [1, 2]) {
      const id = await store(intake, oru({ control: `GC${n}`, sender: 'GLAB', mrn: `G${n + 2}`, order: `GO${n + 2}`, critical: true }));
      lane.poke({ max: 1, min: 1 });
      // well before a 5 s gather would have let it claim
      await untilProcessed([id], 3_000);
    }
    await lane.stop();
    expect(rounds).toEqual([1, 1]);
  });
});
