// PID (+ NK1) -> Patient (v2-to-FHIR IG PID[Patient], NK1[Patient]).
import { urnSegment } from './bundle.js';
import type { ContactPoint, Identifier, Patient, PatientContact } from 'fhir/r4.js';
import type { Segment } from '../hl7/index.js';
import { type Entry, fullUrlFor, keyIdentifier } from './bundle.js';
import { GENDER } from './codes.js';
import { boundedRepetitions, type MapContext, warn } from './context.js';
import { MAX_REPETITIONS } from './limits.js';
import { cweToConcept, cxToIdentifier, val, xadToAddress, xpnToName, xtnToContactPoint } from './datatypes.js';
import { toFhirDate, toFhirDateTime } from './datetime.js';

const MAIDEN_NAME = 'http://hl7.org/fhir/StructureDefinition/patient-mothersMaidenName';

/** The repetitions of a field (at most MAX_REPETITIONS) through one reader, absent ones dropped. */
function each<T>(ctx: MapContext, seg: Segment, n: number, read: (rep: number) => T | undefined): T[] {
  const out: T[] = [];
  for (let r = 0, count = boundedRepetitions(ctx, seg, n, MAX_REPETITIONS); r < count; r++) {
    const v = read(r);
    if (v !== undefined) out.push(v);
  }
  return out;
}

/** PID-3 (then PID-2, PID-4, PID-19, PID-20) -> identifiers; PID-3 first, MR before others. */
export function patientIdentifiers(ctx: MapContext, pid: Segment): Identifier[] {
  const ids = each(ctx, pid, 3, (r) => cxToIdentifier(ctx, pid, 3, r));
  ids.push(...each(ctx, pid, 2, (r) => cxToIdentifier(ctx, pid, 2, r)), ...each(ctx, pid, 4, (r) => cxToIdentifier(ctx, pid, 4, r)));
  const ssn = val(pid, 19);
  if (ssn) ids.push({ type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'SS' }] }, system: 'http://hl7.org/fhir/sid/us-ssn', value: ssn });
  const dl = val(pid, 20);
  if (dl) {
    const state = val(pid, 20, 2);
    ids.push({ type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'DL' }] }, system: `${ctx.config.identifierSystems.fallbackBase}:drivers-license${state ? `:${urnSegment(state)}` : ''}`, value: dl });
  }
  return ids;
}

/** The identifier a Patient is matched on: the first MR of PID-3, else its first identifier. */
export function matchIdentifier(ids: readonly Identifier[]): Identifier | undefined {
  return ids.find((i) => i.type?.coding?.[0]?.code === 'MR') ?? ids[0];
}

export function mapPatient(ctx: MapContext, pid: Segment, pidIndex: number, nk1: readonly Segment[], mode: Entry['mode']): Entry<Patient> {
  const identifier = patientIdentifiers(ctx, pid);
  const p: Patient = { resourceType: 'Patient' };
  const maiden = val(pid, 6);
  if (maiden) p.extension = [{ url: MAIDEN_NAME, valueString: maiden }];
  const match = matchIdentifier(identifier);
  const key = match ? ['Patient', match.system ?? '', match.value ?? ''] : ['Patient', ctx.sender, ctx.message.header.controlId, String(pidIndex)];
  if (!match) warn(ctx, `PID[${pidIndex}]: no patient identifier; the Patient is matched on a message key`);
  const hash = ctx.ids.hash(key);
  p.identifier = identifier.length ? identifier : [keyIdentifier(ctx.ids, hash)];
  const names = each(ctx, pid, 5, (r) => xpnToName(pid, 5, r));
  if (names.length) p.name = names;
  // v2-to-FHIR IG PID[Patient]: PID-13 is home and PID-14 work when XTN-2 names no use
  const telecom = [
    ...each(ctx, pid, 13, (r) => phone(pid, 13, r, 'home')),
    ...each(ctx, pid, 14, (r) => phone(pid, 14, r, 'work')),
  ];
  if (telecom.length) p.telecom = telecom;
  const gender = GENDER[val(pid, 8) ?? ''];
  if (gender) p.gender = gender;
  else if (val(pid, 8)) warn(ctx, `PID[${pidIndex}]: PID-8 sex code not in table 0001; not mapped`);
  const birth = val(pid, 7);
  const birthDate = birth ? toFhirDate(birth) : undefined;
  if (birthDate) p.birthDate = birthDate;
  else if (birth) warn(ctx, `PID[${pidIndex}]: PID-7 is not a valid date; not mapped`);
  deceased(ctx, pid, p);
  const address = each(ctx, pid, 11, (r) => xadToAddress(pid, 11, r));
  if (address.length) p.address = address;
  const marital = cweToConcept(ctx, pid, 16);
  if (marital) p.maritalStatus = marital;
  const contacts = nk1.map((s) => contact(ctx, s)).filter((c): c is PatientContact => c !== undefined);
  if (contacts.length) p.contact = contacts;
  const language = cweToConcept(ctx, pid, 15);
  if (language) p.communication = [{ language }];
  return { fullUrl: fullUrlFor(ctx.ids, 'Patient', hash), resource: p, mode, match: p.identifier.find((i) => i === match) ?? p.identifier[0]! };
}

function deceased(ctx: MapContext, pid: Segment, p: Patient): void {
  const when = val(pid, 29);
  const dt = when ? toFhirDateTime(when, ctx.config.timeZone) : undefined;
  if (dt) p.deceasedDateTime = dt;
  else if (val(pid, 30) === 'Y') p.deceasedBoolean = true;
  else if (val(pid, 30) === 'N') p.deceasedBoolean = false;
}

/** XTN -> ContactPoint, its use `fallback` when XTN-2 is not valued (v2-to-FHIR IG PID[Patient]: PID-13 home, PID-14 work). */
function phone(seg: Segment, n: number, rep: number, fallback: 'home' | 'work'): ContactPoint | undefined {
  const t = xtnToContactPoint(seg, n, rep);
  if (t && !val(seg, n, 2, 1, rep)) t.use ??= fallback; // a fresh ContactPoint; `use` stays last
  return t;
}

/** NK1 -> Patient.contact (v2-to-FHIR IG NK1[Patient]). */
function contact(ctx: MapContext, nk1: Segment): PatientContact | undefined {
  const c: PatientContact = {};
  const rel = cweToConcept(ctx, nk1, 3);
  if (rel) c.relationship = [rel];
  const name = xpnToName(nk1, 2, 0);
  if (name) c.name = name;
  const telecom = [...each(ctx, nk1, 5, (r) => xtnToContactPoint(nk1, 5, r)), ...each(ctx, nk1, 6, (r) => xtnToContactPoint(nk1, 6, r))];
  if (telecom.length) c.telecom = telecom;
  const address = xadToAddress(nk1, 4, 0);
  if (address) c.address = address;
  // FHIR R4 pat-1: a contact needs a name, telecom, address or organization
  return c.name || c.telecom || c.address ? c : undefined;
}
