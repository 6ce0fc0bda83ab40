// Many appenders on two connection pools (two gateway replicas on one database): the chain stays one
// unbroken, gapless order whatever the interleaving — the head lock serialises exactly the appends.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/db.js';
import { connect, type Sql } from '../../src/store/db.js';
import { appendAudit, AuditWriter, verifyAuditChain } from '../../src/audit/index.js';
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

describe('concurrent appends from two replicas', () => {
  it('400 transactions (1-5 events each, with other work before the append) and two group-commit writers: one chain, seq 1..N', async () => {
    const writers = [new AuditWriter(replicaA), new AuditWriter(replicaB)];
    let expected = 0;
    const jobs: Promise<unknown>[] = [];
    for (let i = 0; i < 400; i++) {
      const pool = i % 2 === 0 ? replicaA : replicaB;
      const n = 1 + (i % 5);
      expected += n;
      // work of the transaction's own first, then the append as its last statement (as delivery does)
      jobs.push(pool.begin(async (tx) => {
        await tx`SELECT pg_sleep(${(i % 3) / 1000})`;
        await appendAudit(tx, Array.from({ length: n }, (_, j) => sampleEvent(i * 10 + j)));
      }));
      // and single events through each replica's writer, as the HTTP middleware sends them
      jobs.push(writers[i % 2]!.append(sampleEvent(100_000 + i)));
      expected += 1;
    }
    await Promise.all(jobs);
    await Promise.all(writers.map((w) => w.idle()));
    const [stats] = await db.sql<{ n: number; min: string; max: string; distinct: number }[]>`
      SELECT count(*)::int AS n, min(seq)::text AS min, max(seq)::text AS max, count(DISTINCT prev_hash)::int AS distinct FROM audit_event`;
    // gapless: N rows numbered 1..N; one chain: no two rows follow the same row
    expect(stats).toEqual({ n: expected, min: '1', max: String(expected), distinct: expected });
    const report = await verifyAuditChain(db.sql, { keys: [], pageSize: 500 });
    expect(report).toMatchObject({ ok: true, checked: expected, head: { seq: String(expected) } });
  }, 60_000);

  it('a transaction that rolls back leaves no row and no gap', async () => {
    const before = await verifyAuditChain(db.sql, { keys: [] });
    await replicaA.begin(async (tx) => {
      await appendAudit(tx, [sampleEvent(1)]);
      throw new Error('work failed');
    }).catch(() => {});
    await replicaB.begin((tx) => appendAudit(tx, [sampleEvent(2)]));
    const after = await verifyAuditChain(db.sql, { keys: [] });
    expect(after).toMatchObject({ ok: true, head: { seq: String(BigInt(before.head.seq) + 1n) } });
  });
});
