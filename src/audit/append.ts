// Recording audit events. `appendAudit` writes them, unsealed, in the caller's transaction — one
// INSERT and no lock, so the record commits (or rolls back) with the change it describes and
// appends from every replica never wait for one another. The sealer (seal.ts) chains them moments
// later. The HMAC key is the sealer's; it never goes to the database.
import type postgres from 'postgres';
import { insertPendingAudit, type TransactionSql } from '../store/index.js';
import type { AuditEventInput, ChainKey } from './hash.js';

let configuredKey: ChainKey | undefined;

/**
 * The process's HMAC key (AUDIT_HMAC_KEY), set once at start by the gateway and the CLI; unset, rows
 * are sealed with plain SHA-256. Whoever can write the tables cannot re-seal a changed chain without it.
 */
export function configureAuditKey(key: ChainKey | undefined): void {
  configuredKey = key;
}

export function auditKey(): ChainKey | undefined {
  return configuredKey;
}

const toJson = (e: AuditEventInput): postgres.JSONValue => ({
  at: e.at.toISOString(), actor: e.actor, actorKind: e.actorKind, action: e.action, type: e.type, entityType: e.entityType ?? null,
  entityIds: [...(e.entityIds ?? [])], patient: e.patient ?? null, outcome: e.outcome, outcomeCode: e.outcomeCode ?? null,
  source: e.source ?? null, requestId: e.requestId ?? null,
});

/** Records `events` in order, in `tx`; they are sealed into the chain after the commit. */
export async function appendAudit(tx: TransactionSql, events: readonly AuditEventInput[]): Promise<void> {
  await insertPendingAudit(tx, events.map(toJson));
}
