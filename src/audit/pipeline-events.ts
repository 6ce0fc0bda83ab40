// The processing pipeline's audit events, pure, so every caller records them the same way:
// `message.received` when an inbox row is stored (actor: the sender, MSH-3^MSH-4, or the call-note
// submitter), `message.processed` / `message.failed` when the worker saves its outcome (with the
// resources saved and their patient). Ids and codes only.
import type { AuditEventInput } from './hash.js';

export interface ReceivedInput {
  inboxId: string;
  /** MSH-3 and MSH-4 (application and facility names: not PHI), or the call note's submitter */
  sender: string;
  source: 'mllp' | 'http' | 'calls' | 'fhir';
  /** the peer's address */
  peer: string | null;
  at: Date;
  /** the row existed already (a resend): recorded, as the sender did send it */
  duplicate?: boolean;
}

export function messageReceivedEvent(i: ReceivedInput): AuditEventInput {
  return {
    at: i.at, actor: i.sender, actorKind: i.source === 'calls' ? 'user' : 'sender', action: 'C', type: 'message.received',
    entityType: 'inbox', entityIds: [i.inboxId], patient: null, outcome: 'success', outcomeCode: i.duplicate ? 'duplicate' : i.source,
    source: i.peer, requestId: null,
  };
}

export interface ProcessedInput {
  inboxId: string;
  at: Date;
  /** saveTransactionBundle's `Type/id` per entry ([] when nothing was saved) */
  savedIds: readonly string[];
  /** the failure's stable code (mapping or routing), when it failed */
  failureCode?: string | null;
}

/** One event per patient among the saved resources (usually one), or one without a patient. */
export function messageProcessedEvents(i: ProcessedInput): AuditEventInput[] {
  const patients = [...new Set(i.savedIds.filter((s) => s.startsWith('Patient/')).map((s) => s.slice('Patient/'.length)))];
  const base = {
    at: i.at, actor: 'system', actorKind: 'system' as const, action: 'C' as const, type: i.failureCode ? 'message.failed' : 'message.processed',
    entityType: 'inbox', entityIds: [i.inboxId, ...i.savedIds], outcome: i.failureCode ? 'failure' as const : 'success' as const,
    outcomeCode: i.failureCode ?? null, source: null, requestId: null,
  };
  return patients.length === 0 ? [{ ...base, patient: null }] : patients.map((patient) => ({ ...base, patient }));
}
