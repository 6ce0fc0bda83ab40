// Many appenders and a sealer on each of two connection pools (two gateway replicas on one database):
// appends never wait for one another, one sealer seals at a time, and the chain ends up one
// unbroken, gapless order holding every committed event once — and none of a rolled-back one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { connect, type Sql } from '../../src/store/db.js';
import { appendAudit, AuditWriter, sealAll, sealAudit, verifyAuditChain } from '../../src/audit/index.js';
import { sampleEvent } from './support.js';

let db: TestDatabase;
let replicaA: Sql;
let replicaB: Sql;

beforeAll(async () => {
  db = await createTestDatabase({ max: 2 });
  replicaA = connect(db.url, { max: 6, name: 'replica-a' });
  replicaB = connect(db.url, { max: 6, name: 'replica-b' });
});
afterAll(async () => {
  await replicaA.end({ timeout: 2 });
  await replicaB.end({ timeout: 2 });
  await db.drop();
});

describe('concurrent appends and sealers on two replicas', () => {
  it('400 transactions (1-5 events each) and two group-commit writers, sealed while they run: one chain, seq 1..N, every event once', async () => {
    const writers = [new AuditWriter(replicaA), new AuditWriter(replicaB)];
    let expected = 0;
    const jobs: Promise<unknown>[] = [];
    for (let i = 0; i < 400; i++) {
      const pool = i % 2 === 0 ? replicaA : replicaB;
      const n = 1 + (i % 5);
      expected += n;
      jobs.push(pool.begin(async (tx) => {
        await appendAudit(tx, Array.from({ length: n }, (_, j) => ({ ...sampleEvent(i * 10 + j), requestId: `tx-${i}-${j}` })));
        await tx`SELECT pg_sleep(${(i % 3) / 1000})`; // the transaction's own work after the append
      }));
      jobs.push(writers[i % 2]!.append({ ...sampleEvent(100_000 + i), requestId: `w-${i}` }));
      expected += 1;
      // both replicas' sealers run meanwhile (one at a time gets the lock; the other skips)
      if (i % 40 === 0) jobs.push(sealAudit(replicaA, undefined, 50), sealAudit(replicaB, undefined, 50));
    }
    await Promise.all(jobs);
    await Promise.all(writers.map((w) => w.idle()));
    await sealAll(replicaA);
    const [stats] = await db.sql<{ n: number; min: string; max: string; distinct: number; requests: number }[]>`
      SELECT count(*)::int AS n, min(seq)::text AS min, max(seq)::text AS max, count(DISTINCT prev_hash)::int AS distinct,
             count(DISTINCT request_id)::int AS requests FROM audit_event`;
    // gapless: N rows numbered 1..N; one chain: no two rows follow the same row; every event once
    expect(stats).toEqual({ n: expected, min: '1', max: String(expected), distinct: expected, requests: expected });
    const report = await verifyAuditChain(db.sql, { keys: [], pageSize: 500 });
    expect(report).toMatchObject({ ok: true, checked: expected, head: { seq: String(expected) }, pending: 0 });
  }, 60_000);

  it('a transaction that rolls back records nothing and leaves no gap', async () => {
    const before = await verifyAuditChain(db.sql, { keys: [] });
    await replicaA.begin(async (tx) => {
      await appendAudit(tx, [{ ...sampleEvent(1), requestId: 'rolled-back' }]);
      throw new Error('work failed');
    }).catch(() => {});
    await replicaB.begin((tx) => appendAudit(tx, [sampleEvent(2)]));
    await sealAll(replicaB);
    const after = await verifyAuditChain(db.sql, { keys: [] });
    expect(after).toMatchObject({ ok: true, head: { seq: String(BigInt(before.head.seq) + 1n) } });
    expect(await db.sql`SELECT 1 FROM audit_event WHERE request_id = 'rolled-back'`).toHaveLength(0);
  });
});
