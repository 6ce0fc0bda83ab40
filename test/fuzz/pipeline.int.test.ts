// Mutated golden fixtures through the whole pipeline over PostgreSQL: intake, the worker (mapping,
// the FHIR transaction), the inbox state. Every accepted message ends processed, or failed with a
// reason an integration engineer can act on (mapping refused it, or the FHIR store found its Patient
// ambiguous); never "saving failed repeatedly", never an internal error. The first long run of this
// found the worker retrying a 412 until it gave up with no reason.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InboxWorker } from '../../src/ingest/index.js';
import { createMetrics } from '../../src/obs/metrics.js';
import { silentLogger } from '../../src/obs/log.js';
import { CONFIG } from '../mapping/golden.js';
import { mutate, mutation } from '../mapping/mutation.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { startMllpHarness, type MllpHarness } from '../support/harness.js';

let db: TestDatabase;
let h: MllpHarness;
let worker: InboxWorker;
beforeAll(async () => {
  db = await createTestDatabase();
  h = await startMllpHarness(db.sql);
  worker = new InboxWorker({ sql: db.sql, config: CONFIG, log: silentLogger, metrics: createMetrics(), claimMs: 60_000, pollMs: 50, maxAttempts: 1, appName: 'SWITCHBOARD', schedules: null });
});
afterAll(async () => {
  await h.close();
  await db.drop();
});

const ACTIONABLE = /^ERR_MAPPING_(UNSUPPORTED|MISSING_SEGMENT|DUPLICATE_IDENTITY)$|^ERR_FHIR_MULTIPLE_MATCHES$/;

describe('pipeline fuzz', () => {
  it('every accepted mutated message ends processed or failed with an actionable reason', async () => {
    let n = 0;
    for (const m of fc.sample(mutation, 400)) {
      // a fresh MSH-10 each, so most are new messages rather than duplicates
      const text = mutate(m).replace(/\|([A-Z]{3}\d{4})\|P\|/, `|PIPE${n++}|P|`);
      await h.intake.receive(Buffer.from(text, 'latin1'), { source: 'mllp', peer: 'fuzz' });
    }
    while ((await worker.processBatch()) > 0) { /* drain */ }
    const rows = await db.sql<{ state: string; error_code: string | null }[]>`SELECT state, error_code FROM inbox`;
    expect(rows.length).toBeGreaterThan(100);
    expect(rows.filter((r) => r.state !== 'processed' && !ACTIONABLE.test(r.error_code ?? ''))).toEqual([]);
  });
});
