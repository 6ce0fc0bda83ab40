// ADT^A01/A02/A03/A04/A05/A06/A07/A08/A11/A12/A13 -> Patient + Encounter (the event's meaning kept in
// Encounter.status, location history and a v2-0003 tag); A28/A31 -> Patient update only.
import type { Encounter } from 'fhir/r4.js';
import type { Segment } from '../hl7/index.js';
import { type MappingResult, assemble, defined } from './assemble.js';
import type { Entry } from './bundle.js';
import { mapAsk } from './communication-request.js';
import { indexOf, type MapContext, warn } from './context.js';
import { val } from './datatypes.js';
import { toFhirDateTime } from './datetime.js';
import { locationText, mapEncounter } from './encounter.js';
import { MappingError } from './errors.js';
import { mapPatient } from './patient.js';
import { mapResults, observationEntries, refTo, resultText } from './results.js';
import { combine, triageAdt, type TriageHit } from './triage.js';
import { walk } from './walk.js';
import { table } from '../text/index.js';

/** Events that update the person only (HL7 v2 3.3.28 / 3.3.31): a PV1 there is a placeholder. */
const PATIENT_ONLY = new Set(['A28', 'A31']);

export function mapAdt(ctx: MapContext): MappingResult {
  const event = ctx.message.header.type.event;
  const w = walk(ctx);
  const block = w.patients[0];
  if (!block) throw new MappingError('ERR_MAPPING_MISSING_SEGMENT', `ADT^${event} has no PID`);
  for (const extra of w.patients.slice(1)) ctx.report.ignored.push({ segment: 'PID', index: extra.index, reason: 'ADT carries one patient; further PIDs are not mapped' });
  const entries: Entry[] = [];
  const patient = mapPatient(ctx, block.pid, block.index, block.nk1, 'upsert');
  entries.push(patient);
  ctx.report.mapped.push({ segment: 'PID', index: block.index, to: ['Patient'] });
  for (const n of block.nk1) ctx.report.mapped.push({ segment: 'NK1', index: indexOf(ctx, n), to: ['Patient.contact'] });
  const evnIndex = w.evn ? indexOf(ctx, w.evn) : -1;
  let encounter: Entry<Encounter> | undefined;
  if (block.pv1 && !PATIENT_ONLY.has(event)) {
    encounter = mapEncounter(ctx, { pv1: block.pv1.seg, pv1Index: block.pv1.index, ...(w.evn ? { evn: w.evn } : {}), event, patient });
    entries.push(encounter);
    ctx.report.mapped.push({ segment: 'PV1', index: block.pv1.index, to: ['Encounter'] });
  } else if (block.pv1) {
    ctx.report.ignored.push({ segment: 'PV1', index: block.pv1.index, reason: `ADT^${event} updates the patient only; PV1 is a placeholder` });
  } else if (!PATIENT_ONLY.has(event)) {
    warn(ctx, `ADT^${event} has no PV1: no Encounter`);
  }
  if (evnIndex > 0) ctx.report.mapped.push({ segment: 'EVN', index: evnIndex, to: encounter ? ['Encounter.period', 'Bundle.meta.tag'] : ['Bundle.meta.tag'] });
  for (const g of block.groups) ctx.report.ignored.push({ segment: g.orc ? 'ORC' : 'OBR', index: g.index, reason: 'orders in an ADT message are not mapped' });
  const { observations, flagged } = mapResults(ctx, block.results, { key: ['adt-results', ctx.sender, ctx.message.header.controlId], patient, ...(encounter ? { encounter } : {}) });
  entries.push(...observationEntries(observations));
  const hits: TriageHit[] = [...triageAdt(ctx.config, event), ...flagged.flatMap((f) => f.hits)];
  const triage = combine(ctx.config, hits);
  if (triage) {
    const authoredOn = toFhirDateTime((w.evn && val(w.evn, 2)) ?? ctx.message.header.dateTime, ctx.config.timeZone);
    const about = [...(encounter ? [refTo(encounter)] : []), ...flagged.map((f) => refTo(f.obs.entry))];
    entries.push(mapAsk(ctx.config, ctx.ids, {
      key: ['adt', ctx.sender, ctx.message.header.controlId], triage,
      text: triage.category.endsWith('-result') ? resultText(triage.category, flagged) : adtText(event, block.pv1?.seg),
      subject: refTo(patient), about: about.length ? about : [refTo(patient)], ...(encounter ? { encounter: refTo(encounter) } : {}),
      ...(authoredOn ? { authoredOn } : {}), sender: { type: 'Organization', display: ctx.facility || 'sending facility' },
    }));
  }
  const pv1 = block.pv1?.seg;
  return assemble(ctx, entries, triage, defined({
    messageType: 'ADT', event, sendingFacility: ctx.facility || undefined,
    attendingProvider: pv1 ? (val(pv1, 7) ?? val(pv1, 7, 2)) : undefined,
    service: pv1 ? val(pv1, 10) : undefined, patientRef: patient.fullUrl,
  }));
}

const EVENT_TEXT: Readonly<Record<string, string>> = table({
  A01: 'Admission', A02: 'Transfer', A03: 'Discharge', A04: 'Registration', A05: 'Pre-admission',
  A06: 'Change outpatient to inpatient', A07: 'Change inpatient to outpatient', A08: 'Patient information update',
  A11: 'Admission cancelled', A12: 'Transfer cancelled', A13: 'Discharge cancelled', A28: 'Person added', A31: 'Person updated',
});

/** "Transfer: 3W-301-A -> ICU-4-B" (locations only; no name, no identifier). */
function adtText(event: string, pv1: Segment | undefined): string {
  const title = EVENT_TEXT[event] ?? `ADT ${event}`;
  if (!pv1) return title;
  const to = locationText(pv1, 3);
  const from = locationText(pv1, 6);
  if (event === 'A02' && from && to) return `${title}: ${from} -> ${to}`;
  return to ? `${title}: ${to}` : title;
}
