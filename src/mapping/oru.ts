// ORU^R01 (every PATIENT_RESULT and ORDER_OBSERVATION group) -> Patient, Encounter, ServiceRequest,
// Specimen, Observation, DiagnosticReport and, for flagged results, a CommunicationRequest.
import type { Reference } from 'fhir/r4.js';
import { type MappingResult, assemble, defined } from './assemble.js';
import type { Entry } from './bundle.js';
import { mapAsk } from './communication-request.js';
import { fhirDateTime, indexOf, type MapContext } from './context.js';
import { val } from './datatypes.js';
import { mapEncounter } from './encounter.js';
import { MappingError } from './errors.js';
import { KEY_SEPARATOR } from './ids.js';
import { mapDiagnosticReport, mapServiceRequest, mapSpecimen, orderIdentifiers, type OrderSegments } from './order.js';
import { mapPatient } from './patient.js';
import { type FlaggedResult, mapResults, observationEntries, refTo, resultText } from './results.js';
import { combine, type Triage, type TriageHit } from './triage.js';
import { type OrderGroup, type PatientBlock, walk } from './walk.js';

const LAB = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory', display: 'Laboratory' }] };

export function mapOru(ctx: MapContext): MappingResult {
  const w = walk(ctx);
  if (w.patients.length === 0) throw new MappingError('ERR_MAPPING_MISSING_SEGMENT', 'ORU^R01 has no PID: results cannot be attached to a patient');
  const entries: Entry[] = [];
  const allHits: TriageHit[] = [];
  let ordering: string | undefined;
  const orders = new Map<string, number>(); // order key -> OBR segment position, to refuse a repeat by name
  for (const block of w.patients) {
    const { hits, requester } = mapPatientResults(ctx, block, entries, orders);
    allHits.push(...hits);
    ordering ??= requester;
  }
  const first = w.patients[0]!;
  const triage = combine(ctx.config, allHits);
  const patientRef = entries.find((e) => e.resource.resourceType === 'Patient')?.fullUrl;
  return assemble(ctx, entries, triage, defined({
    messageType: 'ORU', event: 'R01', sendingFacility: ctx.facility || undefined, orderingProvider: ordering,
    attendingProvider: first.pv1 ? (val(first.pv1.seg, 7) ?? val(first.pv1.seg, 7, 2)) : undefined,
    service: first.pv1 ? val(first.pv1.seg, 10) : undefined, patientRef,
  }));
}

function mapPatientResults(ctx: MapContext, block: PatientBlock, entries: Entry[], orders: Map<string, number>): { hits: TriageHit[]; requester?: string } {
  const patient = mapPatient(ctx, block.pid, block.index, block.nk1, 'create');
  entries.push(patient);
  ctx.report.mapped.push({ segment: 'PID', index: block.index, to: ['Patient'] });
  for (const n of block.nk1) ctx.report.mapped.push({ segment: 'NK1', index: indexOf(ctx, n), to: ['Patient.contact'] });
  let encounter: Entry | undefined;
  if (block.pv1) {
    encounter = mapEncounter(ctx, { pv1: block.pv1.seg, pv1Index: block.pv1.index, patient });
    entries.push(encounter);
    ctx.report.mapped.push({ segment: 'PV1', index: block.pv1.index, to: ['Encounter'] });
  }
  const hits: TriageHit[] = [];
  let requester: string | undefined;
  for (const group of block.groups) {
    const out = mapOrder(ctx, group, patient, encounter, entries, orders);
    hits.push(...out.hits);
    requester ??= out.requester;
  }
  if (block.results.length) {
    // OBX outside any order (lenient): mapped against a message-scoped key, with no report
    const { observations, flagged } = mapResults(ctx, block.results, { key: ['results', ctx.sender, ctx.message.header.controlId, String(block.index)], patient, ...(encounter ? { encounter } : {}), category: LAB });
    entries.push(...observationEntries(observations));
    hits.push(...ask(ctx, ['results', String(block.index)], flagged, patient, encounter, [], entries));
  }
  return requester ? { hits, requester } : { hits };
}

function mapOrder(ctx: MapContext, group: OrderGroup, patient: Entry, encounter: Entry | undefined, entries: Entry[], orders: Map<string, number>): { hits: TriageHit[]; requester?: string } {
  if (!group.obr) {
    ctx.report.ignored.push({ segment: 'ORC', index: group.index, reason: 'ORC without an OBR: nothing to report' });
    const { observations, flagged } = mapResults(ctx, group.results, { key: ['results', ctx.sender, ctx.message.header.controlId, String(group.index)], patient, ...(encounter ? { encounter } : {}), category: LAB });
    entries.push(...observationEntries(observations));
    return { hits: ask(ctx, ['results', String(group.index)], flagged, patient, encounter, [], entries) };
  }
  const o: OrderSegments = { obr: group.obr, index: group.index, notes: group.notes };
  if (group.orc) o.orc = group.orc;
  const { identifiers, key } = orderIdentifiers(ctx, o);
  const obrAt = indexOf(ctx, group.obr);
  const earlier = orders.get(key.join(KEY_SEPARATOR));
  if (earlier !== undefined) {
    // their ServiceRequests and DiagnosticReports would share identity and overwrite each other
    throw new MappingError('ERR_MAPPING_DUPLICATE_IDENTITY', `OBR segments ${earlier + 1} and ${obrAt + 1} have the same placer/filler order number: their orders and reports cannot be told apart`);
  }
  orders.set(key.join(KEY_SEPARATOR), obrAt);
  const sr = mapServiceRequest(ctx, o, key, identifiers, patient, encounter);
  entries.push(sr);
  if (group.orc) ctx.report.mapped.push({ segment: 'ORC', index: indexOf(ctx, group.orc), to: ['ServiceRequest'] });
  ctx.report.mapped.push({ segment: 'OBR', index: obrAt, to: ['ServiceRequest', 'DiagnosticReport'] });
  const specimens = group.specimens.map((s) => {
    ctx.report.mapped.push({ segment: 'SPM', index: s.index, to: ['Specimen'] });
    return mapSpecimen(ctx, s.spm, s.index, key, patient);
  });
  entries.push(...specimens);
  const effective = fhirDateTime(ctx, val(group.obr, 7) ?? '');
  const { observations, flagged } = mapResults(ctx, group.results, {
    key, patient, ...(encounter ? { encounter } : {}), ...(specimens[0] ? { specimen: refTo(specimens[0]) } : {}),
    basedOn: refTo(sr), ...(effective ? { effective } : {}), category: LAB,
  });
  entries.push(...observationEntries(observations));
  const report = mapDiagnosticReport(ctx, o, { key, ids: identifiers, patient, ...(encounter ? { encounter } : {}), serviceRequest: sr, results: observations.map((x) => refTo(x.entry)), specimens: specimens.map(refTo) });
  entries.push(report);
  const hits = ask(ctx, key, flagged, patient, encounter, [refTo(report)], entries);
  const requester = sr.resource.requester?.identifier?.value ?? sr.resource.requester?.display;
  return requester ? { hits, requester } : { hits };
}

/** One CommunicationRequest for the flagged results of one order (or of the orphan results). */
function ask(ctx: MapContext, key: readonly string[], flagged: readonly FlaggedResult[], patient: Entry, encounter: Entry | undefined, also: Reference[], entries: Entry[]): TriageHit[] {
  const hits = flagged.flatMap((f) => f.hits);
  const triage: Triage | null = combine(ctx.config, hits);
  if (!triage) return hits;
  const top = flagged.filter((f) => f.hits.some((h) => h.category === triage.category || h.priority === triage.priority));
  const authoredOn = fhirDateTime(ctx, ctx.message.header.dateTime);
  entries.push(mapAsk(ctx.config, ctx.ids, {
    key: [...key, ctx.message.header.controlId], triage, text: resultText(triage.category, top.length ? top : flagged),
    subject: refTo(patient), about: [...flagged.map((f) => refTo(f.obs.entry)), ...also],
    ...(encounter ? { encounter: refTo(encounter) } : {}), ...(authoredOn ? { authoredOn } : {}),
    sender: { type: 'Organization', display: ctx.facility || 'sending facility' },
  }));
  return hits;
}
