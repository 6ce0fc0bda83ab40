// ORC/OBR -> ServiceRequest + DiagnosticReport, SPM -> Specimen (v2-to-FHIR IG ORC[ServiceRequest],
// OBR[ServiceRequest], OBR[DiagnosticReport], SPM[Specimen]).
import type { DiagnosticReport, Identifier, Reference, ServiceRequest, Specimen } from 'fhir/r4.js';
import type { Segment } from '../hl7/index.js';
import { type Entry, fullUrlFor, keyIdentifier } from './bundle.js';
import { REPORT_STATUS } from './codes.js';
import { boundedRepetitions, fhirDateTime, type MapContext } from './context.js';
import { MAX_REPETITIONS } from './limits.js';
import { cweToConcept, eiToIdentifier, facilitySystem, fhirCode, systemForAuthority, val, xcnToReference } from './datatypes.js';
import { toFhirDateTime, toFhirInstant } from './datetime.js';
import { readNumber } from './observation-value.js';
import { unitFields } from './units.js';

export interface OrderSegments {
  orc?: Segment;
  obr: Segment;
  index: number;
  notes: string[];
}

/** Placer (ORC-2/OBR-2) and filler (ORC-3/OBR-3) numbers; the business key of the order. */
export function orderIdentifiers(ctx: MapContext, o: OrderSegments): { identifiers: Identifier[]; key: string[]; main?: Identifier } {
  const placer = (o.orc && eiToIdentifier(ctx, o.orc, 2, 'PLAC')) ?? eiToIdentifier(ctx, o.obr, 2, 'PLAC');
  const filler = (o.orc && eiToIdentifier(ctx, o.orc, 3, 'FILL')) ?? eiToIdentifier(ctx, o.obr, 3, 'FILL');
  const identifiers = [placer, filler].filter((x): x is Identifier => x !== undefined);
  const main = filler ?? placer;
  const key = main ? ['order', main.system ?? '', main.value ?? ''] : ['order', ctx.sender, ctx.message.header.controlId, String(o.index)];
  return main ? { identifiers, key, main } : { identifiers, key };
}

export function mapServiceRequest(ctx: MapContext, o: OrderSegments, key: string[], ids: Identifier[], patient: Entry, encounter?: Entry): Entry<ServiceRequest> {
  // the conditional update matches the filler number when there is one (the key of the order)
  const main = ids.find((i) => i.type?.coding?.[0]?.code === 'FILL') ?? ids[0];
  const hash = ctx.ids.hash(key);
  const s = { resourceType: 'ServiceRequest', identifier: ids.length ? ids : [keyIdentifier(ctx.ids, hash)] } as ServiceRequest; // required below
  const result = val(o.obr, 25);
  s.status = result === 'X' ? 'revoked' : result === 'F' || result === 'C' ? 'completed' : 'active';
  s.intent = 'order';
  const code = cweToConcept(ctx, o.obr, 4);
  if (code) s.code = code;
  s.subject = { reference: patient.fullUrl };
  if (encounter) s.encounter = { reference: encounter.fullUrl };
  const authored = fhirDateTime(ctx, (o.orc && val(o.orc, 9)) ?? '');
  if (authored) s.authoredOn = authored;
  const requester = (o.orc && xcnToReference(ctx, o.orc, 12, 0)) ?? xcnToReference(ctx, o.obr, 16, 0);
  if (requester) s.requester = requester;
  const reasons = [];
  for (let r = 0, n = boundedRepetitions(ctx, o.obr, 31, MAX_REPETITIONS); r < n; r++) {
    const cc = cweToConcept(ctx, o.obr, 31, r);
    if (cc) reasons.push(cc);
  }
  if (reasons.length) s.reasonCode = reasons;
  if (o.notes.length) s.note = o.notes.map((text) => ({ text }));
  const fullUrl = fullUrlFor(ctx.ids, 'ServiceRequest', hash);
  return { fullUrl, resource: s, mode: 'upsert', match: main ?? s.identifier![0]! };
}

export interface ReportInput {
  key: string[];
  ids: Identifier[];
  patient: Entry;
  encounter?: Entry;
  serviceRequest: Entry;
  results: Reference[];
  specimens: Reference[];
}

export function mapDiagnosticReport(ctx: MapContext, o: OrderSegments, r: ReportInput): Entry<DiagnosticReport> {
  const tz = ctx.config.timeZone;
  const hash = ctx.ids.hash(r.key);
  const d = { resourceType: 'DiagnosticReport', identifier: r.ids.length ? r.ids : [keyIdentifier(ctx.ids, hash)] } as DiagnosticReport; // required below
  d.basedOn = [{ reference: r.serviceRequest.fullUrl }];
  d.status = REPORT_STATUS[val(o.obr, 25) ?? ''] ?? 'unknown';
  const section = fhirCode(val(o.obr, 24));
  d.category = [section
    ? { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0074', code: section }] }
    : { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0074', code: 'LAB', display: 'Laboratory' }] }];
  d.code = cweToConcept(ctx, o.obr, 4) ?? { text: 'not coded' };
  d.subject = { reference: r.patient.fullUrl };
  if (r.encounter) d.encounter = { reference: r.encounter.fullUrl };
  const start = fhirDateTime(ctx, val(o.obr, 7) ?? '');
  const end = fhirDateTime(ctx, val(o.obr, 8) ?? '');
  if (start && end) d.effectivePeriod = { start, end };
  else if (start) d.effectiveDateTime = start;
  const issued = toFhirInstant(val(o.obr, 22) ?? '', tz);
  if (issued) d.issued = issued;
  d.performer = [{ type: 'Organization', identifier: { system: facilitySystem(ctx), value: ctx.facility || 'unknown-facility' }, display: ctx.facility || 'sending facility' }];
  const interpreter = principalInterpreter(ctx, o.obr);
  if (interpreter) d.resultsInterpreter = [interpreter];
  if (r.specimens.length) d.specimen = r.specimens;
  if (r.results.length) d.result = r.results;
  const main = r.ids.find((i) => i.type?.coding?.[0]?.code === 'FILL') ?? d.identifier![0]!;
  return { fullUrl: fullUrlFor(ctx.ids, 'DiagnosticReport', hash), resource: d, mode: 'upsert', match: main };
}

/** OBR-32 principal result interpreter (NDL: CNN in sub-components of component 1). */
function principalInterpreter(ctx: MapContext, obr: Segment): Reference | undefined {
  const [id, family, given] = [1, 2, 3].map((s) => val(obr, 32, 1, s));
  const display = [given, family].filter((x) => x !== undefined).join(' ');
  if (!id && !display) return undefined;
  const ref: Reference = { type: 'Practitioner' };
  if (id) ref.identifier = { system: systemForAuthority(ctx, val(obr, 32, 1, 9), val(obr, 32, 1, 10), val(obr, 32, 1, 11)) ?? facilitySystem(ctx), value: id };
  if (display) ref.display = display;
  return ref;
}

/** SPM -> Specimen (SPM-2 ids, -4 type, -8 site, -12 amount, -17 collected, -18 received). */
export function mapSpecimen(ctx: MapContext, spm: Segment, index: number, orderKey: readonly string[], patient: Entry): Entry<Specimen> {
  const tz = ctx.config.timeZone;
  const key = [...orderKey, 'SPM', val(spm, 2, 1, 1) ?? val(spm, 2, 2, 1) ?? String(index)];
  const ids: Identifier[] = [];
  for (const [c, type] of [[1, 'PLAC'], [2, 'FILL']] as const) {
    const value = val(spm, 2, c, 1);
    if (value) ids.push({ type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: type }] }, system: systemForAuthority(ctx, val(spm, 2, c, 2), val(spm, 2, c, 3), val(spm, 2, c, 4)) ?? facilitySystem(ctx), value });
  }
  const hash = ctx.ids.hash(key);
  const s: Specimen = { resourceType: 'Specimen', identifier: ids.length ? ids : [keyIdentifier(ctx.ids, hash)] };
  const type = cweToConcept(ctx, spm, 4);
  if (type) s.type = type;
  s.subject = { reference: patient.fullUrl };
  const received = toFhirDateTime(val(spm, 18) ?? '', tz);
  if (received) s.receivedTime = received;
  const collection: NonNullable<Specimen['collection']> = {};
  const collected = toFhirDateTime(val(spm, 17) ?? '', tz);
  if (collected) collection.collectedDateTime = collected;
  const amount = readNumber(val(spm, 12));
  if (amount !== undefined) collection.quantity = { value: amount, ...unitFields(val(spm, 12, 2, 1), val(spm, 12, 2, 3), ctx.config) };
  const site = cweToConcept(ctx, spm, 8);
  if (site) collection.bodySite = site;
  if (Object.keys(collection).length) s.collection = collection;
  return { fullUrl: fullUrlFor(ctx.ids, 'Specimen', hash), resource: s, mode: 'upsert', match: s.identifier![0]! };
}
