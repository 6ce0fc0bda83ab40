// Audit events raised in several places of one transaction, recorded by one INSERT at its end:
// `auditedBegin` runs the work, then appends what `deferAudit` collected (still inside the
// transaction, so the record commits with the change). Outside `auditedBegin`, `deferAudit` appends
// at once.
import type { Sql, TransactionSql } from '../store/index.js';
import { appendAudit } from './append.js';
import type { AuditEventInput } from './hash.js';

const pending = new WeakMap<TransactionSql, AuditEventInput[]>();

export async function deferAudit(tx: TransactionSql, events: readonly AuditEventInput[]): Promise<void> {
  if (events.length === 0) return;
  const list = pending.get(tx);
  if (list) list.push(...events);
  else await appendAudit(tx, events);
}

/** sql.begin, with the audit events deferred inside it appended just before the commit. */
export function auditedBegin<T>(sql: Sql, work: (tx: TransactionSql) => Promise<T>): Promise<T> {
  return sql.begin(async (tx) => {
    pending.set(tx, []);
    const result = await work(tx);
    const events = pending.get(tx) ?? [];
    pending.delete(tx);
    await appendAudit(tx, events);
    return result;
  }) as Promise<T>;
}
