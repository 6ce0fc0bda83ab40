// PV1 (+ EVN, and the ADT event) -> Encounter (v2-to-FHIR IG PV1[Encounter], ADT event maps).
import type { CodeableConcept, Coding, Encounter, EncounterLocation, EncounterParticipant, Identifier, Reference } from 'fhir/r4.js';
import type { Segment } from '../hl7/index.js';
import { type Entry, fullUrlFor, keyIdentifier } from './bundle.js';
import { codeSystemUri, ENCOUNTER_CLASS } from './codes.js';
import { boundedRepetitions, type MapContext, warn } from './context.js';
import { MAX_REPETITIONS } from './limits.js';
import { cweToConcept, cxToIdentifier, fhirCode, val, xcnToReference } from './datatypes.js';
import { toFhirDateTime } from './datetime.js';
import { table } from '../text/index.js';

const PARTICIPATION = 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType';

/** ADT trigger event -> Encounter.status (v2-to-FHIR IG ADT message maps). */
export const EVENT_STATUS: Readonly<Record<string, Encounter['status']>> = table({
  A01: 'in-progress', A02: 'in-progress', A03: 'finished', A04: 'arrived', A05: 'planned',
  A06: 'in-progress', A07: 'in-progress', A11: 'cancelled', A12: 'in-progress', A13: 'in-progress',
});

export interface EncounterInput {
  pv1: Segment;
  pv1Index: number;
  evn?: Segment;
  /** ADT trigger event, or undefined for a PV1 inside an ORU. */
  event?: string;
  patient: Entry;
}

/** PL -> display of the location ("4E-234-A, Good Health Hospital"). */
export function locationText(seg: Segment, n: number): string | undefined {
  const desc = val(seg, n, 9);
  if (desc) return desc;
  const unit = [val(seg, n, 1), val(seg, n, 2), val(seg, n, 3)].filter((x) => x !== undefined).join('-');
  const place = [unit || undefined, val(seg, n, 7), val(seg, n, 4)].filter((x) => x !== undefined);
  return place.length ? place.join(', ') : undefined;
}

export function mapEncounter(ctx: MapContext, input: EncounterInput): Entry<Encounter> {
  const { pv1, evn, event, patient } = input;
  const tz = ctx.config.timeZone;
  const visit = visitNumber(ctx, pv1);
  const admitted = val(pv1, 44);
  const key = encounterKey(ctx, input, visit, admitted);
  const e = { resourceType: 'Encounter' } as Encounter; // status and class set below, in element order
  if (event) e.meta = { tag: [eventTag(event)] };
  const hash = ctx.ids.hash(key);
  e.identifier = [visit ?? keyIdentifier(ctx.ids, hash)];
  const discharged = val(pv1, 45);
  e.status = (event ? EVENT_STATUS[event] : undefined) ?? (discharged ? 'finished' : event ? 'in-progress' : 'unknown');
  e.class = encounterClass(ctx, pv1, input.pv1Index);
  const service = cweToConcept(ctx, pv1, 10);
  if (service) e.serviceType = serviceType(service);
  e.subject = { reference: patient.fullUrl };
  const participant = participants(ctx, pv1);
  if (participant.length) e.participant = participant;
  const start = admitted ? toFhirDateTime(admitted, tz) : undefined;
  const occurred = evn ? toFhirDateTime(val(evn, 6) ?? val(evn, 2) ?? '', tz) : undefined;
  const end = discharged ? toFhirDateTime(discharged, tz) : event === 'A03' ? occurred : undefined;
  const until = end && e.status !== 'in-progress' ? end : undefined; // A13 cancels the discharge: no end
  if (start || until) {
    e.period = {};
    if (start) e.period.start = start;
    if (until) e.period.end = until;
  }
  const hosp = hospitalization(ctx, pv1);
  if (hosp) e.hospitalization = hosp;
  const location = locations(pv1, e.status, event, occurred);
  if (location.length) e.location = location;
  return { fullUrl: fullUrlFor(ctx.ids, 'Encounter', hash), resource: e, mode: 'upsert', match: e.identifier[0]! };
}

/**
 * What makes two messages' PV1 the same Encounter (README "Encounter identity"; DIFFERENCES.md):
 * 1. the visit number (PV1-19), as the IG maps it to Encounter.identifier;
 * 2. without one, the patient's matching identifier and the admit time (PV1-44) read as an instant,
 *    so "202403040800-0500" and "20240304080000-0500" are one visit;
 * 3. without either, in ADT: the patient's current visit at this sender, one Encounter updated by
 *    every ADT message for the patient (a sender that names no visit cannot tell us of two at
 *    once; an admission after a discharge reuses it, replacing the earlier visit's data, which the
 *    EHR keeps); in an ORU, whose PV1 is a copy the ADT feed owns, the message (never overwrites a
 *    visit). Keyed on the message in ADT too, an A01 and an A08 without PV1-19 made two Encounters.
 */
function encounterKey(ctx: MapContext, input: EncounterInput, visit: Identifier | undefined, admitted: string | undefined): string[] {
  if (visit) return ['Encounter', visit.system ?? '', visit.value ?? ''];
  // the key every Encounter without PV1-19 had under the legacy ids: only to pair old and new ids (rekey.ts)
  if (ctx.ids.legacy) return ['Encounter', input.patient.fullUrl, admitted ?? `${ctx.sender}|${ctx.message.header.controlId}`];
  const patient = input.patient.match;
  const at = admitted ? admitInstant(admitted, ctx.config.timeZone) : undefined;
  if (at) {
    warn(ctx, `PV1[${input.pv1Index}]: no visit number (PV1-19); the Encounter is identified by the patient and the admit time (PV1-44)`);
    return ['Encounter', 'admitted', patient.system ?? '', patient.value ?? '', at];
  }
  if (input.event) {
    warn(ctx, `PV1[${input.pv1Index}]: no visit number (PV1-19) nor admit time (PV1-44); the Encounter is the patient's current visit at this sender`);
    return ['Encounter', 'current-visit', ctx.sender, patient.system ?? '', patient.value ?? ''];
  }
  return ['Encounter', 'message', ctx.sender, ctx.message.header.controlId, String(input.pv1Index)];
}

/** PV1-44 as one text per instant: epoch milliseconds when it has a time, else its FHIR date ("2024-03-04"). */
function admitInstant(raw: string, zone: string): string | undefined {
  const dt = toFhirDateTime(raw, zone);
  if (!dt) return undefined;
  return dt.includes('T') ? String(Date.parse(dt)) : dt;
}

/** PV1-19 -> identifier (v2-to-FHIR IG PV1[Encounter]: CX[Identifier], type VN "visit number" when CX-5 gives none). */
function visitNumber(ctx: MapContext, pv1: Segment): Identifier | undefined {
  const visit = cxToIdentifier(ctx, pv1, 19, 0);
  if (!visit || visit.type) return visit;
  return { type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'VN' }], text: 'visit number' }, ...visit };
}

/** PV1-10 hospital service: a code without a system is from HL7 table 0069. */
function serviceType(service: CodeableConcept): CodeableConcept {
  if (!service.coding) return service;
  // cweToConcept writes coding, then text; built in that order rather than as `{ ...service, coding }`,
  // a spread-first literal that V8 (Node 20) builds ~40x slower (CPU profile)
  const typed: CodeableConcept = { coding: service.coding.map((c) => c.system ? c : { system: 'http://terminology.hl7.org/CodeSystem/v2-0069', ...c }) };
  if (service.text !== undefined) typed.text = service.text;
  return typed;
}

/** The event's meaning kept as a tag (HL7 table 0003 event type). */
export function eventTag(event: string): Coding {
  return { system: 'http://terminology.hl7.org/CodeSystem/v2-0003', code: event };
}

function encounterClass(ctx: MapContext, pv1: Segment, index: number): Coding {
  const code = val(pv1, 2) ?? '';
  const mapped = ENCOUNTER_CLASS[code];
  if (mapped) return { system: mapped.system, code: mapped.code, display: mapped.display };
  warn(ctx, `PV1[${index}]: PV1-2 patient class not in table 0004; Encounter.class is unknown`);
  // Encounter.class is 1..1: v3 NullFlavor UNK when the sender's class is missing or unknown
  return { system: 'http://terminology.hl7.org/CodeSystem/v3-NullFlavor', code: 'UNK', display: 'unknown' };
}

/** PV1-7 attending, -8 referring, -9 consulting, -17 admitting (v3 ParticipationType). */
function participants(ctx: MapContext, pv1: Segment): EncounterParticipant[] {
  const out: EncounterParticipant[] = [];
  for (const [n, code, display] of [[7, 'ATND', 'attender'], [8, 'REF', 'referrer'], [9, 'CON', 'consultant'], [17, 'ADM', 'admitter']] as const) {
    for (let r = 0, count = boundedRepetitions(ctx, pv1, n, MAX_REPETITIONS); r < count; r++) {
      const individual = xcnToReference(ctx, pv1, n, r);
      if (individual) out.push({ type: [{ coding: [{ system: PARTICIPATION, code, display }] }], individual });
    }
  }
  return out;
}

function hospitalization(ctx: MapContext, pv1: Segment): Encounter['hospitalization'] | undefined {
  const h: NonNullable<Encounter['hospitalization']> = {};
  const source = fhirCode(val(pv1, 14));
  if (source) h.admitSource = { coding: [{ system: codeSystemUri('HL70023', ctx.config)!, code: source }] };
  const disposition = fhirCode(val(pv1, 36));
  if (disposition) h.dischargeDisposition = { coding: [{ system: codeSystemUri('HL70112', ctx.config)!, code: disposition }] };
  return Object.keys(h).length ? h : undefined;
}

/** A location named, not created. A function, not a closure per call: tsx names each one (walk.ts). */
function loc(text: string): Reference {
  return { display: text };
}

/** PV1-3 (current) and, on a transfer, PV1-6 (prior) -> location history. */
function locations(pv1: Segment, status: Encounter['status'], event: string | undefined, at: string | undefined): EncounterLocation[] {
  const out: EncounterLocation[] = [];
  const prior = locationText(pv1, 6);
  if (prior && (event === 'A02' || event === 'A12')) {
    out.push({ location: loc(prior), status: 'completed', ...(at ? { period: { end: at } } : {}) });
  }
  const current = locationText(pv1, 3);
  if (current) {
    const done = status === 'finished' || status === 'cancelled';
    out.push({ location: loc(current), status: done ? 'completed' : status === 'planned' ? 'planned' : 'active', ...(at && event === 'A02' ? { period: { start: at } } : {}) });
  }
  return out;
}
