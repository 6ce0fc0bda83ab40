// The pipeline's entry into delivery: in the same transaction that marks a routed message
// processed, one escalation run per routed CommunicationRequest is stored, due at once (persist,
// then act), or — a routine one that waits for its recipient's start of day — held until then. The
// scheduler fires it after the commit (the gateway's critical lane fires an urgent run's first step
// in that transaction itself: DeliveryService.fireUrgentIn); nothing is sent from inside the pipeline.
import type { Bundle, CommunicationRequest } from 'fhir/r4.js';
import type { RoutingRecord } from '../oncall/index.js';
import type { CompiledSchedule } from '../routing/index.js';
import { insertRuns, type RunInsert, type TransactionSql } from '../store/index.js';
import { event } from './dispatch.js';
import { heldEvent, holdFor, type Hold } from './triage.js';

export interface EscalationStart {
  /** the stored CommunicationRequest's id */
  readonly requestId: string;
  readonly inboxId: string | null;
  readonly priority: 'routine' | 'urgent' | 'asap' | 'stat';
  /** the role whose escalation chain follows */
  readonly role: string | null;
  readonly policy: string;
  /** routed directly to this provider (on duty): they are step 1 */
  readonly directTo: string | null;
  /** the practitioner the request names at routing (their start of day holds routine messages) */
  readonly routedTo: string | null;
  /** when the message arrived: the stale limit counts from here */
  readonly receivedAt: Date;
}

const PRIORITIES = new Set(['routine', 'urgent', 'asap', 'stat']);

/**
 * The runs a routed message starts: one per CommunicationRequest in the saved Bundle. `savedIds`
 * are saveTransactionBundle's `Type/id` per entry (a conditional create may have kept a stored id).
 */
export function escalationStarts(o: { bundle: Bundle; savedIds: readonly string[]; routing: RoutingRecord; inboxId: string | null; receivedAt: Date }): EscalationStart[] {
  const r = o.routing;
  const directTo = r.recipient.kind === 'provider' ? r.recipient.practitioner : null;
  const routedTo = directTo ?? r.oncall.primary?.id ?? null;
  const starts: EscalationStart[] = [];
  (o.bundle.entry ?? []).forEach((e, i) => {
    const res = e.resource as CommunicationRequest | undefined;
    const saved = o.savedIds[i];
    if (res?.resourceType !== 'CommunicationRequest' || saved === undefined || !saved.startsWith('CommunicationRequest/')) return;
    const priority = PRIORITIES.has(res.priority ?? '') ? (res.priority as EscalationStart['priority']) : 'routine';
    starts.push({ requestId: saved.slice('CommunicationRequest/'.length), inboxId: o.inboxId, priority, role: r.oncall.role, policy: r.policy, directTo, routedTo, receivedAt: o.receivedAt });
  });
  return starts;
}

/** What a start needs to hold a routine run for its digest at once (DeliverySettings' part of it). */
export interface HoldSettings {
  /** the schedule at hand; undefined: none, every run is left to the scheduler's first look */
  readonly compiled: CompiledSchedule | undefined;
  readonly startOfDay: string;
  readonly maxAgeMs: number;
}

/** The settings part of HoldSettings, as configured (DELIVERY_START_OF_DAY, DELIVERY_MAX_AGE_MS); the schedule comes at each start. */
export type HoldDefaults = Omit<HoldSettings, 'compiled'>;

export interface StartOptions {
  /** false: the caller fires the urgent first steps in this transaction (DeliveryService.fireUrgentIn), which wakes the urgent lanes only for what it leaves */
  readonly wakeUrgent?: boolean;
  /**
   * A routine run that is to wait for its recipient's start of day starts held, with the timeline
   * entry the scheduler's first look would have written (decideRun takes the same decision, holdFor),
   * so no scheduler round is spent on it now. A run older than the stale limit is left to that look
   * (it expires there), as is every run when no schedule is at hand.
   */
  readonly hold?: HoldSettings;
}

/** What startEscalations started: every run, and those due at once (not held for a digest). */
export interface Started {
  readonly runs: number;
  readonly dueNow: number;
}

/** Stores the runs in the caller's transaction; a request that has a run already keeps it. */
export async function startEscalations(tx: TransactionSql, starts: readonly EscalationStart[], now: Date, o: StartOptions = {}): Promise<Started> {
  const holds = new Map<string, Hold>();
  for (const s of starts) {
    if (o.hold === undefined || s.priority !== 'routine' || now.getTime() - s.receivedAt.getTime() > o.hold.maxAgeMs) continue;
    const hold = holdFor(o.hold.compiled, { priority: s.priority, role: s.role, policy: s.policy, direct_to: s.directTo, routed_to: s.routedTo }, o.hold.startOfDay, now.getTime());
    if (hold !== null) holds.set(s.requestId, hold);
  }
  const rows: RunInsert[] = starts.map((s) => ({
    request_id: s.requestId, inbox_id: s.inboxId, priority: s.priority, role: s.role, policy: s.policy,
    direct_to: s.directTo, routed_to: s.routedTo, received_at: s.receivedAt, held_until: holds.get(s.requestId)?.due ?? null,
  }));
  // each run's first timeline entries, written by the same statement for the runs that start
  const events = starts.flatMap((s) => {
    const hold = holds.get(s.requestId);
    const begun = event(s.requestId, now, 'run_started', {
      reason: `${s.priority}; ${s.directTo ? `directly to ${s.directTo}, then ` : ''}role ${s.role ?? 'none'}, policy ${s.policy}`,
    });
    return hold === undefined ? [begun] : [begun, heldEvent(s.requestId, now, hold)];
  });
  const started = new Set(await insertRuns(tx, rows, now, { events, ...(o.wakeUrgent === undefined ? {} : { wakeUrgent: o.wakeUrgent }) }));
  return { runs: started.size, dueNow: [...started].filter((id) => !holds.has(id)).length };
}
