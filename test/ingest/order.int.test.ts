// Several workers (as on several replicas) share one inbox; each patient's messages from a sender
// must still be processed one after another, in the order they were stored: an A08 must not
// overtake its A01. Different patients of one sender are processed in parallel.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InboxWorker } from '../../src/pipeline/worker.js';
import { InboxWriter } from '../../src/ingest/inbox-writer.js';
import { Hl7Intake } from '../../src/ingest/hl7-intake.js';
import { createMetrics } from '../../src/obs/metrics.js';
import { silentLogger } from '../../src/obs/log.js';
import { DEFAULT_SITE_CONFIG } from '../../src/mapping/index.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { withControlId } from '../support/messages.js';

let db: TestDatabase;
beforeAll(async () => { db = await createTestDatabase({ max: 12 }); });
afterAll(async () => { await db.drop(); });

/** The ADT fixture from another sending application (MSH-3), about patient MRN100235 or another one. */
const fromSender = (app: string, controlId: string, mrn = 'MRN100235') => Buffer.from(withControlId('spine/adt-a01.hl7', controlId).toString('latin1')
  .replace('MSH|^~\\&|ADT|', `MSH|^~\\&|${app}|`).replace('MRN100235', mrn), 'latin1');

describe('per-(sender, patient) order across workers', () => {
  it('processes each sender\'s messages about one patient in stored order while workers run in parallel', async () => {
    const metrics = createMetrics();
    const intake = new Hl7Intake({ sql: db.sql, writer: new InboxWriter(db.sql, { maxBatch: 64 }), metrics, log: silentLogger, appName: 'SWITCHBOARD' });
    const senders = ['ADT-EAST', 'ADT-WEST', 'ADT-NORTH'];
    const patients = ['MRN1', 'MRN2'];
    for (let i = 0; i < 40; i++) {
      for (const s of senders) for (const p of patients) await intake.receive(fromSender(s, `${s}-${p}-${i}`, p), { source: 'mllp', peer: null });
    }
    const workers = Array.from({ length: 4 }, () => new InboxWorker({
      sql: db.sql, config: DEFAULT_SITE_CONFIG, log: silentLogger, metrics, claimMs: 60_000, pollMs: 20, maxAttempts: 3, appName: 'SWITCHBOARD', schedules: null, batch: 5,
    }));
    // a worker that finds nothing it may take (the next row of each patient is in flight elsewhere) tries again until none is pending
    const pending = async () => (await db.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM inbox WHERE state IN ('received', 'processing')`)[0]!.n;
    const busy = async (w: InboxWorker) => { while ((await w.processBatch()) > 0 || (await pending()) > 0) { /* until none is pending */ } };
    await Promise.all(workers.map(busy));

    const rows = await db.sql<{ sender_app: string; control_id: string; state: string }[]>`
      SELECT sender_app, control_id, state FROM inbox ORDER BY processed_at, id`;
    expect(rows.every((r) => r.state === 'processed')).toBe(true);
    expect(rows).toHaveLength(senders.length * patients.length * 40);
    for (const s of senders) {
      for (const p of patients) {
        const order = rows.filter((r) => r.sender_app === s && r.control_id.startsWith(`${s}-${p}-`)).map((r) => Number(r.control_id.split('-').pop()));
        expect(order).toEqual(Array.from({ length: 40 }, (_, i) => i));
      }
    }
  }, 60_000);
});
