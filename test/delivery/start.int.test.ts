// Starting escalation runs in the saving transaction: one statement stores the runs and the first
// timeline entries of those that start, a request that has a run keeps it (no second entry), and the
// schedulers hear a NOTIFY on commit.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEscalations, type EscalationStart } from '../../src/delivery/index.js';
import { DELIVERY_WAKE_CHANNEL } from '../../src/store/index.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

const NOW = new Date('2025-03-03T12:00:00Z');
const start = (requestId: string, priority: EscalationStart['priority']): EscalationStart => ({
  requestId, inboxId: null, priority, role: 'ward', policy: 'fast', directTo: null, routedTo: null, receivedAt: NOW,
});

async function started(starts: EscalationStart[], o: { wakeUrgent?: boolean } = {}): Promise<{ runs: number; wakes: string[] }> {
  const wakes: string[] = [];
  const sub = await db.sql.listen(DELIVERY_WAKE_CHANNEL, (p) => wakes.push(p));
  const r = await db.sql.begin((tx) => startEscalations(tx, starts, NOW, o));
  for (let i = 0; i < 100 && wakes.length === 0; i++) await new Promise((res) => setTimeout(res, 10));
  await sub.unlisten();
  return { runs: r.runs, wakes };
}

const timeline = async () => (await db.sql<{ request_id: string; kind: string }[]>`
  SELECT request_id, kind FROM delivery_event ORDER BY id`).map((e) => `${e.request_id} ${e.kind}`);

describe('startEscalations', () => {
  it('stores the runs and the started ones\' timeline in one go; a request keeps its run', async () => {
    expect(await started([start('cr-1', 'stat'), start('cr-2', 'routine')])).toEqual({ runs: 2, wakes: ['urgent'] });
    expect(await timeline()).toEqual(['cr-1 run_started', 'cr-2 run_started']);
    // processed again beside a new one: only the new one starts, and only it gets an entry
    expect((await started([start('cr-1', 'stat'), start('cr-3', 'routine')])).runs).toBe(1);
    expect(await timeline()).toEqual(['cr-1 run_started', 'cr-2 run_started', 'cr-3 run_started']);
    const runs = await db.sql<{ request_id: string; state: string }[]>`SELECT request_id, state FROM delivery_run ORDER BY request_id`;
    expect(runs.map((r) => `${r.request_id} ${r.state}`)).toEqual(['cr-1 active', 'cr-2 active', 'cr-3 active']);
  });

  it('wakes the rounds only, not the urgent lanes, for a caller that fires its urgent steps itself', async () => {
    expect(await started([start('cr-4', 'stat')], { wakeUrgent: false })).toEqual({ runs: 1, wakes: ['run'] });
  });
});
