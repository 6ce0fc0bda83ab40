// Call notes (POST /calls) -> Patient (matched by MRN, else contained), CommunicationRequest (the ask)
// and Communication (the call as taken). The callback number is PHI: it travels only inside the
// CommunicationRequest, as the telecom of a contained RelatedPerson (#caller) that payload[1]
// references, so the delivery stage can show it to the recipient and leave it out of push texts.
import { urnSegment } from './bundle.js';
import type { Communication, Identifier, Patient, Reference, RelatedPerson, Resource } from 'fhir/r4.js';
import type { CallNote } from '../calls/index.js';
import { type MappingResult } from './assemble.js';
import { type Entry, fullUrlFor, toBundle } from './bundle.js';
import { type IdMinter, keyedIds } from './ids.js';
import type { MapOptions } from './map-message.js';
import { mapAsk } from './communication-request.js';
import { configEntry, type SiteConfig } from './config.js';
import { emptyReport } from './report.js';
import { combine, triageCall } from './triage.js';
import { table } from '../text/index.js';

const MEDIUM_PHONE = [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationMode', code: 'PHONE', display: 'telephone' }] }];
const ROLE_CODE = 'http://terminology.hl7.org/CodeSystem/v3-RoleCode';
const RELATIONSHIP: Readonly<Record<string, { code: string; display: string }>> = table({
  patient: { code: 'ONESELF', display: 'self' },
  family: { code: 'FAMMEMB', display: 'family member' },
});
const ISO = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(:\d{2}(?:\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;

/** ISO 8601 from the edge -> FHIR dateTime/instant (seconds and a colon in the offset). */
export function isoToFhir(iso: string): string | undefined {
  const m = ISO.exec(iso.trim());
  if (!m) return undefined;
  const zone = m[4] === 'Z' ? 'Z' : `${m[4]!.slice(0, 3)}:${m[4]!.slice(-2)}`;
  return `${m[1]}T${m[2]}${m[3] ?? ':00'}${zone}`;
}

export function mapCallNote(note: CallNote, ctx: { id: string; receivedAt: string }, config: SiteConfig, options: MapOptions): MappingResult {
  return mapCallNoteWith(note, ctx, config, keyedIds(options?.idKey));
}

/** mapCallNote with the ids of the given minter (keyed, or the legacy scheme when re-keying). */
export function mapCallNoteWith(note: CallNote, ctx: { id: string; receivedAt: string }, config: SiteConfig, ids: IdMinter): MappingResult {
  const key = ['call', ctx.id];
  const callId: Identifier = { system: `${config.systemBase}:call-id`, value: ctx.id };
  const sent = isoToFhir(note.takenAt ?? ctx.receivedAt) ?? isoToFhir(ctx.receivedAt);
  const entries: Entry[] = [];
  const mrnSystem = mrnSystemOf(note, config);
  const person = patientOf(note, mrnSystem);
  let subject: Reference = { reference: '#patient' };
  if (note.patient.mrn) {
    const match = person.identifier![0]!;
    const entry: Entry<Patient> = { fullUrl: fullUrlFor(ids, 'Patient', ids.hash(['Patient', match.system!, match.value!])), resource: person, mode: 'create', match };
    entries.push(entry);
    subject = { reference: entry.fullUrl };
  }
  const known = note.patient.mrn !== undefined;
  const service = { resourceType: 'Organization' as const, id: 'service', name: config.answeringService.name };
  const operator = note.operator ? { resourceType: 'Practitioner' as const, id: 'operator', identifier: [{ system: config.answeringService.operatorSystem, value: note.operator.id }], ...(note.operator.name ? { name: [{ text: note.operator.name }] } : {}) } : undefined;
  const triage = combine(config, triageCall(config, note))!;
  const ask = mapAsk(config, ids, {
    key, triage, text: note.reason, subject, about: [], ...(sent ? { authoredOn: sent } : {}),
    requester: { reference: operator ? '#operator' : '#service' }, sender: { reference: '#service' },
    medium: MEDIUM_PHONE, reasonText: note.reason,
    contained: [...(known ? [] : [{ ...person, id: 'patient' }]), caller(note, subject), service, ...(operator ? [operator] : [])] as Resource[],
  });
  ask.resource.identifier = [callId, ...(ask.resource.identifier ?? [])];
  ask.resource.payload!.push({ contentReference: { reference: '#caller', display: 'caller and callback number' } });
  ask.match = callId;
  entries.push(ask);
  entries.push(communication(ids, note, key, subject, sent, triage.priority, { service, operator, patient: known ? undefined : person }, callId));
  const report = emptyReport();
  report.mapped.push({ segment: 'call-note', index: 0, to: entries.map((e) => e.resource.resourceType) });
  const bundle = toBundle(entries, { tags: [], identifier: callId, ...(isoToFhir(ctx.receivedAt) ? { timestamp: isoToFhir(ctx.receivedAt)! } : {}) });
  const routing = { messageType: 'CALL', practice: note.practice, ...(note.service ? { service: note.service } : {}), category: triage.category, priority: triage.priority, patientRef: subject.reference! };
  return { bundle, report, triage, routing };
}

function patientOf(note: CallNote, system: string): Patient {
  const p: Patient = { resourceType: 'Patient' };
  if (note.patient.mrn) p.identifier = [{ type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'MR' }] }, system, value: note.patient.mrn }];
  p.name = [{ text: note.patient.name }];
  if (note.patient.birthDate) p.birthDate = note.patient.birthDate;
  return p;
}

function caller(note: CallNote, patient: Reference): RelatedPerson {
  const rel = RELATIONSHIP[note.caller.type];
  const relationship = rel
    ? { coding: [{ system: ROLE_CODE, ...rel }], ...(note.caller.relationship ? { text: note.caller.relationship } : {}) }
    : { text: note.caller.relationship ?? note.caller.type };
  return {
    resourceType: 'RelatedPerson', id: 'caller', patient, relationship: [relationship],
    name: [{ text: note.caller.name }], telecom: [{ system: 'phone', value: note.caller.callbackNumber, use: 'temp' }],
  };
}

interface Parties { service: Resource; operator: Resource | undefined; patient: Patient | undefined }

function communication(ids: IdMinter, note: CallNote, key: readonly string[], subject: Reference, sent: string | undefined, priority: Communication['priority'], parties: Parties, callId: Identifier): Entry<Communication> {
  const c = { resourceType: 'Communication' } as Communication; // required elements set below, in element order
  // FHIR dom-3: only what the Communication references is contained (the sender, an unknown patient)
  c.contained = [parties.operator ?? parties.service, ...(parties.patient ? [{ ...parties.patient, id: 'patient' }] : [])];
  c.identifier = [callId];
  c.status = 'completed';
  c.category = [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/communication-category', code: 'notification' }] }];
  c.priority = priority!;
  c.medium = MEDIUM_PHONE;
  c.subject = subject;
  if (sent) c.sent = sent;
  c.sender = { reference: parties.operator ? '#operator' : '#service' };
  const who = `${note.caller.name} (${note.caller.relationship ?? note.caller.type})`;
  c.payload = [{ contentString: `Call from ${who}, callback ${note.caller.callbackNumber}, for practice ${note.practice}${note.service ? ` / ${note.service}` : ''}: ${note.reason}` }];
  return { fullUrl: fullUrlFor(ids, 'Communication', ids.hash(key)), resource: c, mode: 'upsert', match: callId };
}

/** An absolute URI (scheme ":" and no whitespace): what FHIR's Identifier.system should hold. */
const ABSOLUTE_URI = /^[a-z][a-z0-9+.-]*:\S+$/i;

/**
 * The MRN's identifier system: the operator's `mrnSystem` when it is a URI; when it is a name (an
 * assigning authority, as an operator would type it), the site's system for that authority or one
 * minted from the name, as for an HL7 assigning authority; without one, the practice's. A name used
 * as-is made an invalid or meaningless system (found by fuzzing call notes).
 */
function mrnSystemOf(note: CallNote, config: SiteConfig): string {
  const { byAuthority, fallbackBase } = config.identifierSystems;
  const given = note.patient.mrnSystem?.trim();
  if (given) return ABSOLUTE_URI.test(given) ? given : configEntry(byAuthority, given) ?? `${fallbackBase}:${urnSegment(given)}`;
  return configEntry(config.practices, note.practice)?.mrnSystem ?? `${fallbackBase}:${urnSegment(note.practice)}`;
}
