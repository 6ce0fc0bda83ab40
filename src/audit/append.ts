// Appending to the audit chain inside the caller's transaction: lock the chain head, chain the
// events after it (hash.ts), store them and move the head — two statements for any number of events.
// The head lock serialises appends from every replica; take it last in a transaction (after the
// transaction's own row locks) so it is held only for the INSERT and the commit, and no lock cycle
// with the work's own locks can form.
import { insertAuditRows, lockAuditHead, type TransactionSql } from '../store/index.js';
import { chainRecords, type AuditEventInput, type AuditRecord, type ChainKey } from './hash.js';

let configuredKey: ChainKey | undefined;

/**
 * The process's HMAC key (AUDIT_HMAC_KEY), set once at start by the gateway and the CLI; unset, rows
 * are sealed with plain SHA-256. The key never goes to the database: whoever can write the tables
 * cannot re-seal a changed chain without it.
 */
export function configureAuditKey(key: ChainKey | undefined): void {
  configuredKey = key;
}

export function auditKey(): ChainKey | undefined {
  return configuredKey;
}

/** Appends `events` in order to the chain, in `tx`; returns the stored rows (seq, hashes). */
export async function appendAudit(tx: TransactionSql, events: readonly AuditEventInput[], key: ChainKey | undefined = configuredKey): Promise<AuditRecord[]> {
  if (events.length === 0) return [];
  const head = await lockAuditHead(tx);
  const rows = chainRecords(head, events, key);
  await insertAuditRows(tx, rows);
  return rows;
}
