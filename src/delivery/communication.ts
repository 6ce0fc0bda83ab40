// The FHIR side of delivery (pure): one Communication per
// notification, basedOn its CommunicationRequest, status in-progress until a channel delivered it,
// then completed, with `sent`, `received` and extensions for the read and acknowledged times.
// These are what the EHR write-back sends. A reply is a Communication with inResponseTo.
import type { Communication, CommunicationRequest, Extension } from 'fhir/r4.js';
import type { NotificationRow } from '../store/index.js';
import { toFhirId } from '../oncall/index.js';

export const READ_EXTENSION = 'urn:switchboard:extension:communication-read';
export const ACKNOWLEDGED_EXTENSION = 'urn:switchboard:extension:communication-acknowledged';
const COMM_CATEGORY = 'http://terminology.hl7.org/CodeSystem/communication-category';

export interface RequestHead {
  readonly priority: string;
  /** `Patient/<id>`, from the request's subject */
  readonly subject: string | null;
}

const iso = (d: Date | null): string | undefined => (d === null ? undefined : d.toISOString());
const practitioner = (id: string) => ({ reference: `Practitioner/${toFhirId(id)}` });

export function toCommunication(n: NotificationRow, head: RequestHead): Communication {
  const extension: Extension[] = [];
  if (n.read_at) extension.push({ url: READ_EXTENSION, valueDateTime: n.read_at.toISOString() });
  if (n.acknowledged_at) extension.push({ url: ACKNOWLEDGED_EXTENSION, valueDateTime: n.acknowledged_at.toISOString() });
  const c: Communication = {
    resourceType: 'Communication',
    id: n.id,
    ...(extension.length ? { extension } : {}),
    basedOn: [{ reference: `CommunicationRequest/${n.request_id}` }],
    status: n.delivered_at ? 'completed' : 'in-progress',
    category: [{ coding: [{ system: COMM_CATEGORY, code: 'notification' }] }],
    priority: head.priority as Communication['priority'],
    ...(head.subject ? { subject: { reference: head.subject } } : {}),
    recipient: [practitioner(n.recipient)],
    ...(n.sent_at ? { sent: iso(n.sent_at) } : {}),
    ...(n.delivered_at ? { received: iso(n.delivered_at) } : {}),
    note: [{ text: `${n.kind === 'step' ? `escalation step ${n.seq}` : n.kind === 'renotify' ? `re-notification ${n.seq}` : `forward ${n.seq}`} (${n.via})` }],
  };
  return c;
}

/** A provider's reply: a completed Communication inResponseTo their notification. */
export function toReply(o: { id: string; requestId: string; inResponseTo: string | null; from: string; text: string; at: Date; head: RequestHead; requester?: CommunicationRequest['requester'] }): Communication {
  return {
    resourceType: 'Communication',
    id: o.id,
    basedOn: [{ reference: `CommunicationRequest/${o.requestId}` }],
    ...(o.inResponseTo ? { inResponseTo: [{ reference: `Communication/${o.inResponseTo}` }] } : {}),
    status: 'completed',
    category: [{ coding: [{ system: COMM_CATEGORY, code: 'notification' }] }],
    priority: o.head.priority as Communication['priority'],
    ...(o.head.subject ? { subject: { reference: o.head.subject } } : {}),
    sender: practitioner(o.from),
    ...(o.requester ? { recipient: [o.requester] } : {}),
    sent: o.at.toISOString(),
    payload: [{ contentString: o.text }],
  };
}
