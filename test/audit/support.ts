// Shared by the audit tests: varied audit events, a chain seeded through the real append path, and
// tampering as someone with the database's superuser would do it (triggers off for the transaction).
import type { AuditEventInput } from '../../src/audit/index.js';
import { appendAudit, sealAll, type ChainKey } from '../../src/audit/index.js';
import type { Sql, TransactionSql } from '../../src/store/index.js';
import { connect } from '../../src/store/db.js';
import { adminUrl, type TestDatabase } from '../support/db.js';

/**
 * A superuser connection to the test's database: the tamperer. (Under TEST_DB_ROLE=app the suite's
 * own connection is the runtime role, which cannot turn the append-only trigger off.)
 */
export function tamperer(db: TestDatabase): Sql {
  const u = new URL(adminUrl());
  u.pathname = new URL(db.url).pathname;
  return connect(u.toString(), { max: 2, name: 'audit-tamperer' });
}

const TYPES = ['phi.read', 'phi.search', 'delivery.notified', 'delivery.acknowledged', 'schedule.changed', 'message.received'] as const;

export function sampleEvent(i: number): AuditEventInput {
  return {
    at: new Date(Date.UTC(2025, 0, 1) + i * 61_000), actor: i % 3 === 0 ? `dr-${i % 7}` : 'https://issuer.example|svc', actorKind: i % 3 === 0 ? 'practitioner' : 'user',
    action: i % 4 === 0 ? 'U' : 'R', type: TYPES[i % TYPES.length]!, entityType: 'Observation', entityIds: [`obs-${i}`, `obs-${i + 1}`],
    patient: i % 2 === 0 ? `p-${i % 5}` : null, outcome: i % 9 === 0 ? 'failure' : 'success', outcomeCode: i % 9 === 0 ? '403' : '200',
    source: '127.0.0.1', requestId: `req-${i}`,
  };
}

/** Appends n events in batches of up to 7 (so batches and single appends both occur). */
export async function seedChain(sql: Sql, n: number, key?: ChainKey): Promise<void> {
  for (let i = 0; i < n;) {
    const size = Math.min(1 + (i % 7), n - i);
    const batch = Array.from({ length: size }, (_, j) => sampleEvent(i + j));
    await sql.begin((tx) => appendAudit(tx, batch));
    i += size;
  }
  await sealAll(sql, key);
}

/** Runs `tamper` then `check` in one transaction that is always rolled back. */
export async function inRolledBack<T>(sql: Sql, tamper: (tx: TransactionSql) => Promise<void>, check: (tx: TransactionSql) => Promise<T>): Promise<T> {
  let out: T | undefined;
  const ROLLBACK = new Error('rollback');
  await sql.begin(async (tx) => {
    await tx`SET LOCAL session_replication_role = replica`; // the append-only trigger off, as a superuser could
    await tamper(tx);
    out = await check(tx);
    throw ROLLBACK;
  }).catch((e: unknown) => { if (e !== ROLLBACK) throw e; });
  return out as T;
}
