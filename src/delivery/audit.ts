// Delivery's part of the audit trail: every timeline entry that is a state change of a message's
// delivery (notified, delivered, read, acknowledged, responded, resolved, escalated, dead-lettered,
// replayed, expired, exhausted) is also an audit event, in the same transaction as the change. The
// files of this folder write the timeline through `insertEvents` here instead of the store's.
import { deferAudit, type AuditAction, type AuditEventInput } from '../audit/index.js';
import { insertEvents as insertTimeline, readRequestHeads, type EventInsert, type TransactionSql } from '../store/index.js';

const AUDITED: Readonly<Record<string, { type: string; action: AuditAction }>> = {
  notified: { type: 'delivery.notified', action: 'C' },
  renotified: { type: 'delivery.notified', action: 'C' },
  forwarded: { type: 'delivery.forwarded', action: 'C' },
  delivered: { type: 'delivery.delivered', action: 'U' },
  read: { type: 'delivery.read', action: 'U' },
  acknowledged: { type: 'delivery.acknowledged', action: 'U' },
  responded: { type: 'delivery.responded', action: 'C' },
  resolved: { type: 'delivery.resolved', action: 'U' },
  step_fired: { type: 'delivery.escalated', action: 'E' },
  dead_letter: { type: 'delivery.dead_lettered', action: 'E' },
  replayed: { type: 'delivery.replayed', action: 'E' },
  expired: { type: 'delivery.expired', action: 'U' },
  exhausted: { type: 'delivery.exhausted', action: 'U' },
};

/** Kinds whose recipient is the one acting (a provider's own action, or their app fetching). */
const BY_RECIPIENT = new Set(['read', 'acknowledged', 'responded', 'resolved']);

const patientOf = (subject: string | null | undefined): string | null => (subject?.startsWith('Patient/') ? subject.slice('Patient/'.length) : null);

/** A request's subject ('Patient/…'), where the caller knows it already. */
export type KnownSubjects = ReadonlyMap<string, { readonly subject: string | null }>;

/** The audit events of timeline rows (pure but for the subjects: `known`, else read in `tx`). */
async function auditEvents(tx: TransactionSql, rows: readonly EventInsert[], known?: KnownSubjects): Promise<AuditEventInput[]> {
  // step 1 firing is the `notified` events themselves; later steps are escalations
  const audited = rows.filter((r) => AUDITED[r.kind] !== undefined && !(r.kind === 'step_fired' && (r.step ?? 0) <= 1));
  if (audited.length === 0) return [];
  const heads = known !== undefined && audited.every((r) => known.has(r.request_id)) ? known : await readRequestHeads(tx, audited.map((r) => r.request_id));
  return audited.map((r) => {
    const a = AUDITED[r.kind]!;
    const byRecipient = r.recipient !== null && (BY_RECIPIENT.has(r.kind) || (r.kind === 'delivered' && r.channel === 'inbox'));
    return {
      at: r.at, actor: byRecipient ? r.recipient! : 'system', actorKind: byRecipient ? 'practitioner' : 'system', action: a.action, type: a.type,
      entityType: 'CommunicationRequest',
      entityIds: [r.request_id, ...(r.notification_id ? [`Communication/${r.notification_id}`] : []), ...(!byRecipient && r.recipient ? [`Practitioner/${r.recipient}`] : [])],
      patient: patientOf(heads.get(r.request_id)?.subject), outcome: r.kind === 'dead_letter' ? 'failure' : 'success',
      outcomeCode: r.channel, requestId: null,
    };
  });
}

/**
 * The store's insertEvents, plus the audit events (appended at the end of the transaction:
 * auditedBegin). `known`: the requests' subjects where the caller has them (no read for them).
 */
export async function insertEvents(tx: TransactionSql, rows: readonly EventInsert[], known?: KnownSubjects): Promise<void> {
  // with the subjects known, the audit (appended at once outside auditedBegin) goes out with the timeline's insert
  await Promise.all([insertTimeline(tx, rows), auditEvents(tx, rows, known).then((events) => deferAudit(tx, events))]);
}
