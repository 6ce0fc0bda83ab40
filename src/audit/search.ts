// Reading the trail back (`switchboard audit list`, GET /fhir/AuditEvent): newest first, by patient,
// actor and time, keyset-paged on seq.
import { countAuditRows, searchAuditRows, type Sql } from '../store/index.js';
import type { AuditRecord } from './hash.js';

export interface AuditSearch {
  patient?: string;
  actor?: string;
  since?: Date;
  until?: Date;
  /** rows older than this seq (the next page) */
  beforeSeq?: string;
  seq?: string;
  limit: number;
}

export function searchAudit(sql: Sql, q: AuditSearch): Promise<AuditRecord[]> {
  return searchAuditRows(sql, q);
}

export function countAudit(sql: Sql, q: Omit<AuditSearch, 'limit' | 'beforeSeq'>): Promise<number> {
  return countAuditRows(sql, q);
}
