// Reading the trail back (`switchboard audit list`, GET /fhir/AuditEvent): newest first, by patient,
// actor and time, keyset-paged on seq.
import { countAuditRows, searchAuditRows, type AuditQuery, type Sql } from '../store/index.js';
import type { AuditRecord } from './hash.js';

/** What to look for: src/store's AuditQuery (patient, actor, time range, keyset page). */
export type AuditSearch = AuditQuery;

export function searchAudit(sql: Sql, q: AuditSearch): Promise<AuditRecord[]> {
  return searchAuditRows(sql, q);
}

export function countAudit(sql: Sql, q: Omit<AuditSearch, 'limit' | 'beforeSeq'>): Promise<number> {
  return countAuditRows(sql, q);
}
