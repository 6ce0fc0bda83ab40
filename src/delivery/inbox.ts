// A provider's inbox: who a provider token speaks for, which messages they may see, and a message
// with its content (the request, the patient, the result or note it is about, its timeline).
// A provider sees a message addressed to them (any notification: a step, a re-notification, a
// forward) or to a role they cover at that moment; for anyone else it does not exist (404).
import type { CommunicationRequest, Resource } from 'fhir/r4.js';
import { PROVIDER_SCOPE } from '../auth/index.js';
import { notFound } from '../outcome/index.js';
import { oncall, type CompiledSchedule } from '../routing/index.js';
import { getProviderMessage, listEvents, listProviderMessages, listProviderPatients, readResource, type EventRow, type ProviderMessageRow, type Sql } from '../store/index.js';
import { maskListText, maskResourcePhones } from './phone-view.js';

/** The scope of a provider token (`switchboard token --practitioner ID`): the token's subject is the practitioner (src/auth/policy.ts). */
export { PROVIDER_SCOPE };

/** The practitioner a token speaks for: its subject, when it carries the provider scope. */
export const practitionerOf = (p: { scopes: readonly string[]; subject: string }): string | undefined =>
  p.scopes.includes(PROVIDER_SCOPE) && p.subject !== '' ? p.subject : undefined;

/** The roles whose primary is `practitioner` at `now`. */
export function rolesCoveredBy(c: CompiledSchedule | undefined, practitioner: string, now: number): string[] {
  if (c === undefined) return [];
  const out: string[] = [];
  for (const id of c.roles.keys()) {
    const r = oncall(c, id, now);
    if (r.ok && r.value.primary?.practitioner.id === practitioner) out.push(id);
  }
  return out;
}

export interface MessageSummary {
  readonly id: string;
  readonly priority: string;
  readonly state: string;
  readonly step: number;
  readonly text: string | null;
  readonly subject: string | null;
  readonly createdAt: string;
  readonly acknowledgedAt: string | null;
  readonly acknowledgedBy: string | null;
  readonly respondedAt: string | null;
  readonly closedAt: string | null;
  /** addressed to you, or seen through a role you cover now */
  readonly addressed: boolean;
  readonly notifiedAt: string | null;
  readonly deliveredAt: string | null;
  readonly readAt: string | null;
}

const iso = (d: Date | null): string | null => (d === null ? null : d.toISOString());

/** A row as listed: its text's phone numbers masked unless `full` (the detail, for the addressed provider). */
const summary = (r: ProviderMessageRow, full = false): MessageSummary => ({
  id: r.request_id, priority: r.priority, state: r.state, step: r.step, text: full ? r.text : maskListText(r.text), subject: r.subject,
  createdAt: r.created_at.toISOString(), acknowledgedAt: iso(r.acknowledged_at), acknowledgedBy: r.acknowledged_by,
  respondedAt: iso(r.responded_at), closedAt: iso(r.closed_at), addressed: r.addressed,
  notifiedAt: iso(r.notified_at), deliveredAt: iso(r.delivered_at), readAt: iso(r.read_at),
});

export interface InboxContext {
  readonly sql: Sql;
  readonly compiled: CompiledSchedule | undefined;
  readonly practitioner: string;
  readonly now: number;
}

export async function listMessages(ctx: InboxContext, o: { open: boolean; limit: number }): Promise<MessageSummary[]> {
  const roles = rolesCoveredBy(ctx.compiled, ctx.practitioner, ctx.now);
  return (await listProviderMessages(ctx.sql, { practitioner: ctx.practitioner, roles, ...o })).map((r) => summary(r));
}

/** The patients of the messages the practitioner may see now: their FHIR reads are limited to these (src/auth/policy.ts). */
export async function patientsOf(ctx: InboxContext): Promise<string[]> {
  return listProviderPatients(ctx.sql, { practitioner: ctx.practitioner, roles: rolesCoveredBy(ctx.compiled, ctx.practitioner, ctx.now) });
}

async function visibleRow(ctx: InboxContext, id: string): Promise<ProviderMessageRow> {
  const roles = rolesCoveredBy(ctx.compiled, ctx.practitioner, ctx.now);
  const row = await getProviderMessage(ctx.sql, { practitioner: ctx.practitioner, roles, requestId: id });
  if (row === undefined) throw notFound('no such message', { code: 'ERR_DELIVERY_MESSAGE_NOT_FOUND' });
  return row;
}

/** The message when the practitioner may see it; a 404 otherwise (whether or not it exists). */
export async function visibleMessage(ctx: InboxContext, id: string): Promise<MessageSummary> {
  return summary(await visibleRow(ctx, id));
}

export interface TimelineEntry {
  readonly at: string;
  readonly kind: string;
  readonly step: number | null;
  readonly practitioner: string | null;
  readonly channel: string | null;
  readonly notificationId: string | null;
  readonly attemptId: string | null;
  readonly reason: string | null;
}

export const timelineOf = (rows: readonly EventRow[]): TimelineEntry[] =>
  rows.map((e) => ({ at: e.at.toISOString(), kind: e.kind, step: e.step, practitioner: e.recipient, channel: e.channel, notificationId: e.notification_id, attemptId: e.attempt_id, reason: e.reason }));

export interface MessageDetail extends MessageSummary {
  readonly request: CommunicationRequest | null;
  readonly patient: Resource | null;
  /** the results, report or note the request is about */
  readonly about: readonly Resource[];
  readonly timeline: readonly TimelineEntry[];
}

const refParts = (ref: string | undefined): [string, string] | undefined => {
  const m = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})$/.exec(ref ?? '');
  return m ? [m[1]!, m[2]!] : undefined;
};

/**
 * A visible message with its content: what the app shows once the provider opens it. Phone numbers
 * (the callback number) in full only for a provider it was addressed to (phone-view.ts).
 */
export async function messageDetail(ctx: InboxContext, id: string): Promise<MessageDetail> {
  const row = await visibleRow(ctx, id);
  const full = row.addressed;
  const view = <T extends Resource>(r: T): T => (full ? r : maskResourcePhones(r));
  const cr = (await readResource(ctx.sql, 'CommunicationRequest', id))?.resource as CommunicationRequest | undefined;
  const read = async (ref: string | undefined): Promise<Resource | null> => {
    const p = refParts(ref);
    const r = p === undefined ? undefined : (await readResource(ctx.sql, p[0], p[1]))?.resource;
    return r === undefined ? null : view(r);
  };
  const about = (await Promise.all((cr?.about ?? []).slice(0, 50).map((a) => read(a.reference)))).filter((r): r is Resource => r !== null);
  return {
    ...summary(row, full), request: cr ? view(cr) : null, patient: await read(cr?.subject?.reference), about, timeline: timelineOf(await listEvents(ctx.sql, id)),
  };
}
