// The sealer is woken by appends (their NOTIFY, heard as they commit, from any process), not by a
// clock: with its fallback round an hour away, what another replica appends is still sealed, and a
// rolled-back append wakes nobody.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { connect, type Sql } from '../../src/store/db.js';
import { countPendingAudit } from '../../src/store/index.js';
import { appendAudit, AuditSealer, AuditWriter, verifyAuditChain } from '../../src/audit/index.js';
import { sampleEvent } from './support.js';

let db: TestDatabase;
let replicaA: Sql;
let replicaB: Sql;

beforeAll(async () => {
  db = await createTestDatabase({ max: 2 });
  replicaA = connect(db.url, { max: 4, name: 'replica-a' });
  replicaB = connect(db.url, { max: 4, name: 'replica-b' });
});
afterAll(async () => {
  await replicaA.end({ timeout: 2 });
  await replicaB.end({ timeout: 2 });
  await db.drop();
});

const sealedCount = async (sql: Sql): Promise<number> => Number((await sql<{ n: string }[]>`SELECT count(*) AS n FROM audit_event`)[0]!.n);

describe('a sealer woken by appends', () => {
  it('seals what another replica appends, and what its own writer appends, without its fallback round', async () => {
    const sealer = new AuditSealer(replicaA, { fallbackMs: 3_600_000 });
    sealer.start();
    try {
      await replicaB.begin((tx) => appendAudit(tx, [sampleEvent(1), sampleEvent(2)]));
      await vi.waitFor(async () => expect(await sealedCount(replicaA)).toBe(2), { timeout: 15_000, interval: 50 });
      await new AuditWriter(replicaA).append(sampleEvent(3));
      await vi.waitFor(async () => expect(await sealedCount(replicaA)).toBe(3), { timeout: 15_000, interval: 50 });
      // a rolled-back append leaves nothing pending
      await replicaB.begin(async (tx) => {
        await appendAudit(tx, [sampleEvent(4)]);
        throw new Error('rollback');
      }).catch(() => {});
      expect(await countPendingAudit(replicaA)).toBe(0);
    } finally {
      await sealer.stop();
    }
    expect((await verifyAuditChain(replicaA, { keys: [] })).ok).toBe(true);
  });

  it('seals on start what was appended while no sealer listened, and on stop what is left', async () => {
    await replicaB.begin((tx) => appendAudit(tx, [sampleEvent(10)]));
    const sealer = new AuditSealer(replicaA, { fallbackMs: 3_600_000 });
    const before = await sealedCount(replicaA);
    sealer.start();
    await vi.waitFor(async () => expect(await sealedCount(replicaA)).toBe(before + 1), { timeout: 15_000, interval: 50 });
    await sealer.stop();
    // stopped: no longer listening, so a later append waits for the next sealer
    await replicaB.begin((tx) => appendAudit(tx, [sampleEvent(11)]));
    expect(await countPendingAudit(replicaA)).toBe(1);
  });
});
