// Retention: past MESSAGE_RETENTION_DAYS a finished message's raw bytes are emptied and refused input
// is deleted; past FHIR_RETENTION_DAYS (unset: kept) FHIR resources are deleted; past
// AUDIT_RETENTION_DAYS audit rows are deleted down to a checkpoint (the seq and hash of the last one
// deleted) from which `audit verify` starts, so what is kept still verifies. One replica at a time
// (an advisory lock); every purge is itself an audit event, appended in the same transaction.
import type { Logger } from '../obs/index.js';
import { purgeAuditRows, purgeFhirResources, purgeInboxBytes, purgeRejected, tryRetentionLock, type Sql } from '../store/index.js';
import { appendAudit } from './append.js';

const DAY_MS = 86_400_000;

export interface RetentionSettings {
  /** inbox bytes and rejected rows, days; undefined = kept */
  messageDays?: number | undefined;
  /** FHIR resources, days; undefined = kept */
  fhirDays?: number | undefined;
  /** audit rows, days; undefined = kept (HIPAA 164.316(b)(2)(i): six years for documentation) */
  auditDays?: number | undefined;
}

export interface PurgeResult {
  /** false when another replica was purging (nothing done) */
  ran: boolean;
  inboxBytes: number;
  rejected: number;
  fhirResources: number;
  auditRows: number;
  /** the new checkpoint, when audit rows were purged */
  checkpoint?: { seq: string; hash: string };
}

const cutoff = (now: Date, days: number | undefined): Date | undefined => (days === undefined ? undefined : new Date(now.getTime() - days * DAY_MS));

export async function purgeExpired(sql: Sql, settings: RetentionSettings, now: Date, actor: { actor: string; actorKind: 'system' | 'cli' }): Promise<PurgeResult> {
  return sql.begin(async (tx) => {
    // a purge may delete many rows: the per-connection statement timeout is for request paths
    await tx`SET LOCAL statement_timeout = 0`;
    if (!(await tryRetentionLock(tx))) return { ran: false, inboxBytes: 0, rejected: 0, fhirResources: 0, auditRows: 0 };
    const msg = cutoff(now, settings.messageDays);
    const fhir = cutoff(now, settings.fhirDays);
    const audit = cutoff(now, settings.auditDays);
    const inboxBytes = msg ? await purgeInboxBytes(tx, msg) : 0;
    const rejected = msg ? await purgeRejected(tx, msg) : 0;
    const fhirResources = fhir ? await purgeFhirResources(tx, fhir) : 0;
    const cp = audit ? await purgeAuditRows(tx, audit) : undefined;
    const result: PurgeResult = { ran: true, inboxBytes, rejected, fhirResources, auditRows: cp?.count ?? 0, ...(cp ? { checkpoint: { seq: cp.seq, hash: cp.hash } } : {}) };
    if (inboxBytes + rejected + fhirResources + result.auditRows > 0) {
      // the counts are the entity ids of this event: what was purged, never which rows' content
      await appendAudit(tx, [{
        at: now, ...actor, action: 'D', type: 'retention.purged', entityType: 'retention',
        entityIds: [`inbox-bytes:${inboxBytes}`, `rejected:${rejected}`, `fhir:${fhirResources}`, `audit:${result.auditRows}`, ...(cp ? [`checkpoint:${cp.seq}`] : [])],
        outcome: 'success',
      }]);
    }
    return result;
  }) as Promise<PurgeResult>;
}

/** How often each replica tries a purge (only one runs it): hourly is plenty for day-granular retention. */
export const RETENTION_INTERVAL_MS = 3_600_000;

/** Runs purgeExpired every interval; errors are logged (codes only) and retried at the next interval. */
export function startRetention(sql: Sql, settings: RetentionSettings, log: Logger, opts: { intervalMs?: number; clock?: () => Date } = {}): { stop(): Promise<void> } {
  if (settings.messageDays === undefined && settings.fhirDays === undefined && settings.auditDays === undefined) return { stop: async () => {} };
  let running: Promise<unknown> = Promise.resolve();
  const tick = () => {
    running = purgeExpired(sql, settings, opts.clock?.() ?? new Date(), { actor: 'system', actorKind: 'system' })
      .then((r) => { if (r.ran) log.info('retention_purged', { inboxBytes: r.inboxBytes, rejected: r.rejected, fhirResources: r.fhirResources, auditRows: r.auditRows }); })
      .catch((e: unknown) => log.warn('retention_purge_failed', { errorCode: (e as { code?: string }).code }));
  };
  const timer = setInterval(tick, opts.intervalMs ?? RETENTION_INTERVAL_MS).unref();
  return { stop: async () => { clearInterval(timer); await running; } };
}
