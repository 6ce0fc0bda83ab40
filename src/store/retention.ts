// The SQL of retention (README "Audit trail" > retention): what a purge removes past its cut-off.
// Only finished inbox rows lose their bytes; their ids, keys and states stay (the audit trail and the
// delivery runs point at them). Rejected rows go entirely. FHIR resources go only when asked.
import type { TransactionSql } from './db.js';

/** Empties the raw bytes (and the mapping report) of processed or failed inbox rows received before `before`. */
export async function purgeInboxBytes(tx: TransactionSql, before: Date): Promise<number> {
  const r = await tx`
    UPDATE inbox SET raw = ''::bytea, mapping_report = NULL
    WHERE received_at < ${before} AND state IN ('processed', 'failed') AND octet_length(raw) > 0`;
  return r.count;
}

/** Deletes refused input received before `before`. */
export async function purgeRejected(tx: TransactionSql, before: Date): Promise<number> {
  const r = await tx`DELETE FROM rejected WHERE received_at < ${before}`;
  return r.count;
}

/** Deletes FHIR resources last updated before `before`. */
export async function purgeFhirResources(tx: TransactionSql, before: Date): Promise<number> {
  const r = await tx`DELETE FROM fhir_resource WHERE last_updated < ${before}`;
  return r.count;
}

/** One purge at a time across replicas: true when this transaction holds the lock now. */
export async function tryRetentionLock(tx: TransactionSql): Promise<boolean> {
  // arbitrary but fixed, like the other advisory keys (migrate 7_343_281, digests 7_343_290)
  const [r] = await tx<{ ok: boolean }[]>`SELECT pg_try_advisory_xact_lock(7343311) AS ok`;
  return r?.ok === true;
}
