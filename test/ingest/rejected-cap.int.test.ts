// Refused input is kept for inspection, but only the newest REJECTED_MAX_ROWS: a peer that sends
// garbage forever cannot fill the disk.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Hl7Intake } from '../../src/ingest/hl7-intake.js';
import { InboxWriter } from '../../src/ingest/inbox-writer.js';
import { createMetrics } from '../../src/obs/metrics.js';
import { silentLogger } from '../../src/obs/log.js';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { fixture } from '../support/fixtures.js';

let db: TestDatabase;
beforeAll(async () => { db = await createTestDatabase(); });
afterAll(async () => { await db.drop(); });

describe('rejected input cap', () => {
  it('keeps the newest rows and never more than about the cap', async () => {
    const intake = new Hl7Intake({ sql: db.sql, writer: new InboxWriter(db.sql, { maxBatch: 8 }), metrics: createMetrics(), log: silentLogger, appName: 'SWITCHBOARD', rejectedMaxRows: 20 });
    for (let i = 0; i < 95; i++) await intake.receive(fixture('spine/bad/binary-garbage.bin'), { source: 'mllp', peer: null });
    const rows = await db.sql<{ id: string }[]>`SELECT id::text FROM rejected ORDER BY id`;
    // trimmed every 2 rows (a tenth of the cap): at most cap + 1 remain, and they are the newest
    expect(rows.length).toBeGreaterThanOrEqual(20);
    expect(rows.length).toBeLessThanOrEqual(21);
    expect(Number(rows[rows.length - 1]!.id)).toBe(95);
  });

  it('keeps no more than about the byte cap either: the newest inputs stay', async () => {
    await db.sql`DELETE FROM rejected`;
    const intake = new Hl7Intake({ sql: db.sql, writer: new InboxWriter(db.sql, { maxBatch: 8 }), metrics: createMetrics(), log: silentLogger, appName: 'SWITCHBOARD', rejectedMaxRows: 100_000, rejectedMaxBytes: 64 * 1024 });
    const garbage = Buffer.alloc(4096, 0x41); // 4 KiB that is no HL7: refused, kept
    for (let i = 0; i < 60; i++) await intake.receive(garbage, { source: 'mllp', peer: null });
    const [r] = await db.sql<{ n: number; bytes: number; newest: string }[]>`
      SELECT count(*)::int AS n, sum(octet_length(raw) + coalesce(octet_length(ack), 0))::int AS bytes, max(id)::text AS newest FROM rejected`;
    // trimmed every tenth of the cap: at most the cap plus that tenth (and one input) remains
    expect(r!.bytes).toBeLessThanOrEqual(64 * 1024 + 64 * 1024 / 10 + 8192);
    expect(r!.bytes).toBeGreaterThan(32 * 1024);
    expect(r!.n).toBeLessThan(60);
    // the first test stored ids 1-95; these are 96-155, and the last one is kept
    expect(r!.newest).toBe('155');
  });
});
