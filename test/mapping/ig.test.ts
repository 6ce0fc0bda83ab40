// Hand-written expectations from the HL7 v2-to-FHIR IG (HL7/v2-to-fhir, mappings/: segment, datatype,
// message and concept maps), field by field: each value below is read off the fixture's HL7 text and
// the IG row cited beside it, not off our output (the goldens are that). Where we depart from a row,
// the expectation says so and names the row of src/mapping/DIFFERENCES.md that gives the reason.
import { readFileSync } from 'node:fs';
import type { CommunicationRequest, DiagnosticReport, DocumentReference, Encounter, Observation, Patient, Resource, ServiceRequest } from 'fhir/r4.js';
import { describe, expect, it } from 'vitest';
import { parseHl7 } from '../../src/hl7/index.js';
import { mapHl7Message, type MappingResult } from '../../src/mapping/index.js';
import { CONFIG, FIXTURES, OPTIONS } from './golden.js';

const LOINC = 'http://loinc.org';
const SCT = 'http://snomed.info/sct';
const UCUM = 'http://unitsofmeasure.org';
const V2_0203 = 'http://terminology.hl7.org/CodeSystem/v2-0203';
const V3_INTERPRETATION = 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation';
const ACT_CODE = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';
const PARTICIPATION = 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType';
/** The site config maps assigning authority SYNTH to this system (DIFFERENCES.md "identifier systems"). */
const MRN = 'https://synth-hospital.example.org/fhir/sid/mrn';

const map = (file: string): MappingResult => mapHl7Message(parseHl7(readFileSync(`${FIXTURES}/${file}`)), CONFIG, OPTIONS);
const all = <R extends Resource>(r: MappingResult, type: R['resourceType']): R[] => (r.bundle.entry ?? []).map((e) => e.resource).filter((x): x is R => x?.resourceType === type);
const one = <R extends Resource>(r: MappingResult, type: R['resourceType']): R => all<R>(r, type)[0]!;
const fullUrlOf = (r: MappingResult, res: Resource): string => r.bundle.entry!.find((e) => e.resource === res)!.fullUrl!;

/** The PID of every fixture below: `SYN0001^^^SYNTH&2.16.840.1.113883.3.999.2&ISO^MR||TESTPATIENT^ALPHA^Q^^^^L||19700101|F|||1 TEST WAY^^SAMPLETOWN^MA^01000^USA^H||^PRN^PH^^1^555^0100001`. */
function expectTestPatient(p: Patient): void {
  // IG PID[Patient] PID-3 -> identifier (CX[Identifier]: CX.1 -> value, CX.5 -> type.coding.code; CX.4 -> system: DIFFERENCES.md "identifier systems")
  expect(p.identifier![0]).toEqual({ type: { coding: [{ system: V2_0203, code: 'MR' }] }, system: MRN, value: 'SYN0001' });
  // IG PID[Patient] PID-5 -> name (XPN[HumanName]: XPN.1 family, XPN.2/.3 given, XPN.7 L -> use official by NameType)
  expect(p.name![0]).toEqual({ use: 'official', family: 'TESTPATIENT', given: ['ALPHA', 'Q'] });
  // IG PID[Patient] PID-7 -> birthDate (DTM, 8 characters: no birthTime extension)
  expect(p.birthDate).toBe('1970-01-01');
  // IG PID[Patient] PID-8 -> gender (AdministrativeSex F -> female)
  expect(p.gender).toBe('female');
  // IG PID[Patient] PID-11 -> address (XAD[Address]: XAD.1 line, .3 city, .4 state, .5 postalCode, .6 country, .7 H -> use home by AddressType[Use])
  expect(p.address![0]).toEqual({ use: 'home', line: ['1 TEST WAY'], city: 'SAMPLETOWN', state: 'MA', postalCode: '01000', country: 'USA' });
  // IG PID[Patient] PID-13 -> telecom (XTN[ContactPoint]: .3 PH -> system phone, .2 PRN -> use home, value "+" .5 " " .6 " " .7)
  expect(p.telecom![0]).toEqual({ system: 'phone', value: '+1 555 0100001', use: 'home' });
}

describe('IG: ORU^R01, an NM result flagged HH (oru/potassium-critical-hh.hl7)', () => {
  const r = map('oru/potassium-critical-hh.hl7');
  const obs = one<Observation>(r, 'Observation');
  const report = one<DiagnosticReport>(r, 'DiagnosticReport');
  const order = one<ServiceRequest>(r, 'ServiceRequest');

  it('MSH -> Bundle', () => {
    // IG MSH[Bundle] MSH-7 -> timestamp (DTM[dateTime], the offset kept)
    expect(r.bundle.timestamp).toBe('2024-03-05T14:30:00-05:00');
    // IG MSH[Bundle] MSH-10 -> identifier.value (the system "to be determined by the implementer": MSH-3/MSH-4 scoped)
    expect(r.bundle.identifier?.value).toBe('ORU0001');
    // IG MSH[Bundle] MSH -> type "message": departs, DIFFERENCES.md "MSH[Bundle] type"
    expect(r.bundle.type).toBe('transaction');
  });

  it('PID -> Patient', () => expectTestPatient(one<Patient>(r, 'Patient')));

  it('OBX -> Observation', () => {
    // IG OBX[Observation] OBX-3 -> code (CWE[CodeableConcept]: CWE.1 code, CWE.2 display, CWE.3 LN -> LOINC)
    expect(obs.code.coding).toEqual([{ system: LOINC, code: '2823-3', display: 'Potassium [Moles/volume] in Serum or Plasma' }]);
    // IG CWE[CodeableConcept] CWE.9 -> text: CWE.9 is empty; we copy CWE.2 there: departs, DIFFERENCES.md "CWE text"
    expect(obs.code.text).toBe('Potassium [Moles/volume] in Serum or Plasma');
    // IG OBX[Observation] OBX-5 IF OBX-2 EQUALS "NM" -> valueQuantity.value (NM[Quantity]: a number)
    expect(obs.valueQuantity?.value).toBe(6.8);
    // IG OBX[Observation] OBX-6 -> valueQuantity (CWE[Quantity]: CWE.2 not valued -> unit = CWE.1; CWE.3 not valued -> no code or system)
    expect(obs.valueQuantity?.unit).toBe('mmol/L');
    // ... we add the UCUM code and system for a unit text that is UCUM: departs, DIFFERENCES.md "units"
    expect(obs.valueQuantity).toMatchObject({ system: UCUM, code: 'mmol/L' });
    // IG OBX[Observation] OBX-7 -> referenceRange.text (and low/high besides: DIFFERENCES.md "OBX-7")
    expect(obs.referenceRange![0]!.text).toBe('3.5-5.1');
    // IG OBX[Observation] OBX-8 -> interpretation (InterpretationCodes: HH -> v3 ObservationInterpretation HH)
    expect(obs.interpretation).toEqual([{ coding: [expect.objectContaining({ system: V3_INTERPRETATION, code: 'HH' })] }]);
    // IG OBX[Observation] OBX-11 -> status (ObservationResultStatusCodesInterpretation F -> final)
    expect(obs.status).toBe('final');
    // IG OBX[Observation] OBX-14 -> effectiveDateTime
    expect(obs.effectiveDateTime).toBe('2024-03-05T14:00:00-05:00');
    // IG ORU_R01 OBX: Observation.subject = Patient; DiagnosticReport.result = the Observation
    expect(obs.subject?.reference).toBe(fullUrlOf(r, one<Patient>(r, 'Patient')));
    expect(report.result).toEqual([{ reference: fullUrlOf(r, obs) }]);
  });

  it('OBR -> DiagnosticReport', () => {
    // IG OBR[DiagnosticReport] OBR-2 -> identifier[1] type PLAC, OBR-3 -> identifier[2] type FILL (EI: EI.1 value)
    expect(report.identifier!.map((i) => [i.type?.coding?.[0]?.system, i.type?.coding?.[0]?.code, i.value])).toEqual([[V2_0203, 'PLAC', 'PL1001'], [V2_0203, 'FILL', 'FL2001']]);
    // IG OBR[DiagnosticReport] OBR-4 -> code
    expect(report.code.coding).toEqual([{ system: LOINC, code: '24323-8', display: 'Comprehensive metabolic panel' }]);
    // IG OBR[DiagnosticReport] OBR-7 IF OBR-8 NOT VALUED -> effectiveDateTime
    expect(report.effectiveDateTime).toBe('2024-03-05T13:00:00-05:00');
    // IG OBR[DiagnosticReport] OBR-22 -> issued
    expect(report.issued).toBe('2024-03-05T14:25:00-05:00');
    // IG OBR[DiagnosticReport] OBR-24 -> category (DiagnosticServiceSectionID CH -> CH)
    expect(report.category![0]!.coding![0]).toMatchObject({ code: 'CH' });
    // IG OBR[DiagnosticReport] OBR-25 -> status (ResultStatus[Non-Queries] F -> final)
    expect(report.status).toBe('final');
    // IG ORU_R01 ORC: DiagnosticReport.basedOn = ServiceRequest
    expect(report.basedOn).toEqual([{ reference: fullUrlOf(r, order) }]);
  });

  it('ORC/OBR -> ServiceRequest', () => {
    // IG ORC[ServiceRequest] ORC-1 -> intent "order"
    expect(order.intent).toBe('order');
    // IG OBR[ServiceRequest] OBR-4 -> code
    expect(order.code?.coding?.[0]).toEqual({ system: LOINC, code: '24323-8', display: 'Comprehensive metabolic panel' });
    // IG ORC[ServiceRequest] ORC-12 -> requester (XCN[Practitioner]: XCN.1 identifier value); a logical reference: DIFFERENCES.md "practitioners"
    expect(order.requester?.identifier?.value).toBe('D200');
  });

  it('PV1 -> Encounter', () => {
    const e = one<Encounter>(r, 'Encounter');
    // IG PV1[Encounter] PV1-2 -> class (PatientClass[EncounterClass] I -> v3 ActCode IMP)
    expect(e.class).toMatchObject({ system: ACT_CODE, code: 'IMP' });
    // IG PV1[Encounter] PV1-19 -> identifier[1] (CX[Identifier]) with type VN
    expect(e.identifier![0]).toMatchObject({ value: 'V0001', type: { coding: [{ system: V2_0203, code: 'VN' }] } });
    // IG PV1[Encounter] PV1-44 -> period.start
    expect(e.period?.start).toBe('2024-03-04T08:00:00-05:00');
    // IG OBX[Observation] (ORU_R01 VISIT): the Observation is in the Encounter
    expect(obs.encounter?.reference).toBe(fullUrlOf(r, e));
  });
});

describe('IG: ORU^R01, SN values (SN[Quantity], SN[Range], SN[Ratio])', () => {
  it('oru/sn-comparator-greater.hl7: >^600 is a Quantity with its comparator', () => {
    const obs = one<Observation>(map('oru/sn-comparator-greater.hl7'), 'Observation');
    // IG OBX[Observation] OBX-5 IF OBX-2 EQUALS "SN" AND OBX-5.3 NOT IN (":", "/", "-") -> valueQuantity (SN[Quantity]: SN.1 comparator, SN.2 value)
    expect(obs.valueQuantity).toMatchObject({ comparator: '>', value: 600 });
    // IG OBX[Observation] OBX-6 -> valueQuantity (CWE[Quantity]: unit = CWE.1 when CWE.2 is empty)
    expect(obs.valueQuantity?.unit).toBe('mg/dL');
    // IG OBX[Observation] OBX-8 -> interpretation (H -> v3 H)
    expect(obs.interpretation![0]!.coding![0]).toMatchObject({ system: V3_INTERPRETATION, code: 'H' });
  });

  it('oru/sn-range.hl7: ^10^-^20 is a Range', () => {
    const obs = one<Observation>(map('oru/sn-range.hl7'), 'Observation');
    // IG OBX[Observation] OBX-5 IF OBX-2 EQUALS "SN" AND OBX-5.3 EQUALS "-" -> valueRange (SN[Range]: SN.2 low.value, SN.4 high.value)
    expect(obs.valueRange?.low?.value).toBe(10);
    expect(obs.valueRange?.high?.value).toBe(20);
    // IG OBX[Observation] OBX-6 -> valueRange.low and .high (CWE[Quantity]: unit = CWE.1 "/[HPF]")
    expect([obs.valueRange?.low?.unit, obs.valueRange?.high?.unit]).toEqual(['/[HPF]', '/[HPF]']);
    // IG SN[Range] -> extension originalText: not written, DIFFERENCES.md "SN originalText"
    expect(obs.valueRange).not.toHaveProperty('extension');
    // IG OBX[Observation] OBX-8 A -> v3 A
    expect(obs.interpretation![0]!.coding![0]).toMatchObject({ system: V3_INTERPRETATION, code: 'A' });
  });

  it('oru/sn-ratio-titer.hl7: ^1^:^128 is a Ratio', () => {
    const obs = one<Observation>(map('oru/sn-ratio-titer.hl7'), 'Observation');
    // IG OBX[Observation] OBX-5 IF OBX-2 EQUALS "SN" AND OBX-5.3 IN (":", "/") -> valueRatio (SN[Ratio]: SN.2 numerator.value, SN.4 denominator.value)
    expect(obs.valueRatio).toEqual({ numerator: { value: 1 }, denominator: { value: 128 } });
    // IG OBX[Observation] OBX-7 -> referenceRange.text
    expect(obs.referenceRange![0]!.text).toBe('<1:8');
  });
});

describe('IG: ORU^R01 v2.3.1, ST and CE values, repeated flags, a corrected result (oru/st-ce-flags-v231.hl7)', () => {
  const r = map('oru/st-ce-flags-v231.hl7');
  const [st, ce, nm] = all<Observation>(r, 'Observation');

  it('ST -> valueString, OBX-11 P -> preliminary', () => {
    // IG OBX[Observation] OBX-5 IF OBX-2 IN ("ST", "FT", "TX") -> valueString
    expect(st!.valueString).toBe('Hemolyzed');
    // IG OBX[Observation] OBX-11 -> status (P -> preliminary)
    expect(st!.status).toBe('preliminary');
  });

  it('CE -> valueCodeableConcept, both triplets', () => {
    // IG OBX[Observation] OBX-5 IF OBX-2 EQUALS "CE" -> valueCodeableConcept (CE[CodeableConcept]: .1-.3 coding[1], .4-.6 coding[2])
    expect(ce!.valueCodeableConcept?.coding?.map((c) => [c.code, c.display])).toEqual([['A', 'Blood group A'], ['112144000', 'Blood group A (finding)']]);
    // coding[2].system: SCT -> SNOMED CT (THO)
    expect(ce!.valueCodeableConcept?.coding?.[1]?.system).toBe(SCT);
    // IG OBX[Observation] OBX-8 N -> v3 N
    expect(ce!.interpretation![0]!.coding![0]).toMatchObject({ system: V3_INTERPRETATION, code: 'N' });
  });

  it('NM with OBX-8 H~U, OBX-11 C and OBX-17', () => {
    // IG OBX[Observation] OBX-8 -> interpretation, one per repetition (InterpretationCodes H -> H, U -> U)
    expect(nm!.interpretation!.map((i) => i.coding![0]!.code)).toEqual(['H', 'U']);
    // IG OBX[Observation] OBX-11 -> status (C -> corrected)
    expect(nm!.status).toBe('corrected');
    // IG OBX[Observation] OBX-17 -> method (CWE[CodeableConcept])
    expect(nm!.method?.coding?.[0]).toMatchObject({ code: 'AMP', display: 'Ion-selective electrode' });
  });

  it('OBR with OBR-8 and OBR-25 P', () => {
    const report = one<DiagnosticReport>(r, 'DiagnosticReport');
    // IG OBR[DiagnosticReport] OBR-7 IF OBR-8 VALUED -> effectivePeriod.start; OBR-8 -> effectivePeriod.end
    expect(report.effectivePeriod).toEqual({ start: '2024-03-05T13:00:00-05:00', end: '2024-03-05T13:30:00-05:00' });
    // IG OBR[DiagnosticReport] OBR-25 -> status (ResultStatus[Non-Queries] P -> preliminary)
    expect(report.status).toBe('preliminary');
  });
});

describe('IG: ORU^R01, a repeated CWE value (oru/cwe-coded-repeated.hl7)', () => {
  const obs = one<Observation>(map('oru/cwe-coded-repeated.hl7'), 'Observation');
  it('keeps every repetition; the first as the value: departs, DIFFERENCES.md "repeated OBX-5"', () => {
    // IG ORU_R01 OBX IF OBX-5 LST.count GREATER THAN 1 -> OBX[Observation-Component]: component[each].valueCodeableConcept, code = OBX-3
    expect(obs.valueCodeableConcept?.coding).toEqual([{ system: SCT, code: '3092008', display: 'Staphylococcus aureus' }]);
    expect(obs.component).toEqual([{ code: obs.code, valueCodeableConcept: { coding: [{ system: SCT, code: '112283007', display: 'Escherichia coli' }], text: 'Escherichia coli' } }]);
  });
});

describe('IG: ORU^R01, TX and FT text (oru/text-tx-ft-repetitions.hl7)', () => {
  const [tx, ft] = all<Observation>(map('oru/text-tx-ft-repetitions.hl7'), 'Observation');
  it('TX repetitions are the lines of one valueString: departs, DIFFERENCES.md "repeated OBX-5"', () => {
    // IG OBX[Observation] OBX-5 IF OBX-2 IN ("ST", "FT", "TX") -> valueString; repetitions: OBX[Observation-Component]
    expect(tx!.valueString).toBe('Line one of the report\nLine two of the report');
  });
  it('FT: \\.br\\ is a line break in valueString', () => {
    // IG OBX[Observation] OBX-5 IF OBX-2 IN ("ST", "FT", "TX") -> valueString (v2 2.7 escape \.br\)
    expect(ft!.valueString).toBe('First paragraph.\nSecond paragraph.');
  });
});

describe('IG: ORU^R01, an ED value (oru/ed-base64-pdf.hl7)', () => {
  const r = map('oru/ed-base64-pdf.hl7');
  const [withData] = all<Observation>(r, 'Observation');
  const doc = one<DocumentReference>(r, 'DocumentReference');
  it('the attachment goes to a DocumentReference the Observation derives from: departs, DIFFERENCES.md "ED"', () => {
    // IG OBX[Observation] OBX-5 IF OBX-2 EQUALS "ED" AND OBX-5.4 EQUALS "Base64" -> extension (R5 valueAttachment) ED[Attachment]
    // IG ED[Attachment] ED.5 -> data; ED.3 -> contentType (we write type/subtype, a MIME type)
    expect(doc.content[0]!.attachment).toEqual({ contentType: 'application/pdf', data: 'JVBERi0xLjQKJSBzeW50aGV0aWMK' });
    expect(withData!.derivedFrom).toEqual([{ reference: fullUrlOf(r, doc) }]);
  });
});

describe('IG: ADT^A01 (adt/a01-admit.hl7)', () => {
  const r = map('adt/a01-admit.hl7');
  const e = one<Encounter>(r, 'Encounter');
  const p = one<Patient>(r, 'Patient');

  it('PID and NK1 -> Patient', () => {
    expectTestPatient(p);
    // IG NK1[Patient] NK1-2 -> contact.name, NK1-3 -> contact.relationship[1], NK1-4 -> contact.address, NK1-5 -> contact.telecom[1]
    expect(p.contact![0]).toMatchObject({
      name: { family: 'TESTPATIENT', given: ['BRAVO'] },
      relationship: [{ coding: [expect.objectContaining({ code: 'SPO', display: 'Spouse' })] }],
      address: { line: ['1 TEST WAY'], city: 'SAMPLETOWN', state: 'MA', postalCode: '01000' },
      telecom: [{ system: 'phone', value: '+1 555 0100002', use: 'home' }],
    });
  });

  it('PV1 -> Encounter', () => {
    // IG Event[EncounterStatus] A01 -> in-progress
    expect(e.status).toBe('in-progress');
    // IG PV1[Encounter] PV1-2 -> class (I -> IMP)
    expect(e.class).toMatchObject({ system: ACT_CODE, code: 'IMP' });
    // IG PV1[Encounter] PV1-3 IF PV1-2.1 NOT EQUALS "P" -> location[1].status "active" (the Location named, not created: DIFFERENCES.md "locations")
    expect(e.location![0]!.status).toBe('active');
    // IG PV1[Encounter] PV1-7 -> participant[1] type ATND (v3 ParticipationType), individual XCN.1
    expect(e.participant![0]).toMatchObject({ type: [{ coding: [{ system: PARTICIPATION, code: 'ATND' }] }], individual: { identifier: { value: 'D100' } } });
    // IG PV1[Encounter] PV1-10 -> serviceType (HospitalService: MED, table 0069)
    expect(e.serviceType?.coding?.[0]).toMatchObject({ system: 'http://terminology.hl7.org/CodeSystem/v2-0069', code: 'MED' });
    // IG PV1[Encounter] PV1-19 -> identifier[1], type VN
    expect(e.identifier![0]).toMatchObject({ value: 'V0001', type: { coding: [{ code: 'VN' }] } });
    // IG PV1[Encounter] PV1-44 -> period.start
    expect(e.period).toEqual({ start: '2024-03-04T08:00:00-05:00' });
    // IG ADT_A01 PV1: Encounter.subject = Patient
    expect(e.subject?.reference).toBe(fullUrlOf(r, p));
  });

  it('OBX -> Observation of the patient', () => {
    const obs = one<Observation>(r, 'Observation');
    // IG ADT_A01 OBSERVATION.OBX -> OBX[Observation], subject = Patient; OBX-5 NM -> valueQuantity
    expect(obs.subject?.reference).toBe(fullUrlOf(r, p));
    expect(obs.valueQuantity).toMatchObject({ value: 170, unit: 'cm' });
  });
});

describe('IG: ADT^A03 (adt/a03-discharge.hl7)', () => {
  const e = one<Encounter>(map('adt/a03-discharge.hl7'), 'Encounter');
  it('ends the Encounter', () => {
    // IG Event[EncounterStatus] A03 -> finished; IG PV1[Encounter] PV1-45 IF VALUED -> status "finished"
    expect(e.status).toBe('finished');
    // IG PV1[Encounter] PV1-44 -> period.start, PV1-45 -> period.end
    expect(e.period).toEqual({ start: '2024-03-04T08:00:00-05:00', end: '2024-03-06T11:00:00-05:00' });
    // IG PV1[Encounter] PV1-36 -> hospitalization.dischargeDisposition (table 0112)
    expect(e.hospitalization?.dischargeDisposition?.coding?.[0]).toMatchObject({ code: '01' });
    // IG PV1[Encounter] PV1-3 -> location[1].status "active": we write "completed" once the visit ended: departs, DIFFERENCES.md "locations"
    expect(e.location![0]!.status).toBe('completed');
  });
});

describe('IG: ADT^A08 (adt/a08-update-emergency.hl7)', () => {
  const e = one<Encounter>(map('adt/a08-update-emergency.hl7'), 'Encounter');
  it('updates the visit', () => {
    // IG Event[EncounterStatus] A08 -> unknown: we keep in-progress (PV1-45 not valued): departs, DIFFERENCES.md "A08"
    expect(e.status).toBe('in-progress');
    // IG PV1[Encounter] PV1-2 -> class (E -> EMER)
    expect(e.class).toMatchObject({ system: ACT_CODE, code: 'EMER' });
    // IG PV1[Encounter] PV1-17 -> participant[4] type ADM
    expect(e.participant!.map((x) => x.type![0]!.coding![0]!.code)).toEqual(['ATND', 'ADM']);
    // IG PV1[Encounter] PV1-19 -> identifier[1]
    expect(e.identifier![0]!.value).toBe('V0005');
    // IG PV1[Encounter] PV1-44 -> period.start
    expect(e.period?.start).toBe('2024-03-05T10:00:00-05:00');
  });
});

describe('IG: ADT^A11 (adt/a11-cancel-admit.hl7)', () => {
  const r = map('adt/a11-cancel-admit.hl7');
  it('cancels the visit', () => {
    const e = one<Encounter>(r, 'Encounter');
    // IG Event[EncounterStatus] A11 -> cancelled
    expect(e.status).toBe('cancelled');
    // IG ADT_A11 PV1 -> Encounter (PV1-19 -> identifier)
    expect(e.identifier![0]!.value).toBe('V0006');
    // the event's code kept as a tag (table 0003)
    expect(e.meta?.tag).toEqual([{ system: 'http://terminology.hl7.org/CodeSystem/v2-0003', code: 'A11' }]);
    // IG ADT_A11 PID -> Patient
    expectTestPatient(one<Patient>(r, 'Patient'));
  });
});

describe('IG: ADT^A13 (adt/a13-cancel-discharge.hl7)', () => {
  it('re-opens the visit', () => {
    const e = one<Encounter>(map('adt/a13-cancel-discharge.hl7'), 'Encounter');
    // IG Event[EncounterStatus] A13 -> in-progress
    expect(e.status).toBe('in-progress');
    // PV1-45 not valued: no period.end (IG PV1[Encounter] PV1-45 -> period.end)
    expect(e.period).toEqual({ start: '2024-03-04T08:00:00-05:00' });
  });
});

describe('IG: ADT^A28 (adt/a28-add-person.hl7)', () => {
  const r = map('adt/a28-add-person.hl7');
  it('adds the person', () => {
    // IG ADT_A05 PID -> Patient
    expectTestPatient(one<Patient>(r, 'Patient'));
    // IG ADT_A05 PV1 -> Encounter: the PV1 of an A28 ("PV1|1|N") is a placeholder: departs, DIFFERENCES.md "A28/A31"
    expect(all<Encounter>(r, 'Encounter')).toEqual([]);
    expect(r.report.ignored).toContainEqual(expect.objectContaining({ segment: 'PV1' }));
  });
});

describe('IG: ADT^A31 (adt/a31-update-person-deceased.hl7)', () => {
  const p = one<Patient>(map('adt/a31-update-person-deceased.hl7'), 'Patient');
  it('every repetition of PID-3, -5, -11, -13, and PID-14, -16, -29, -30', () => {
    // IG PID[Patient] PID-3 -> identifier (each repetition; CX.5 SS -> type SS, US SSN system by CX.5)
    expect(p.identifier!.map((i) => [i.type?.coding?.[0]?.code, i.value])).toEqual([['MR', 'SYN0001'], ['SS', '999000111']]);
    expect(p.identifier![1]!.system).toBe('http://hl7.org/fhir/sid/us-ssn');
    // IG PID[Patient] PID-5 -> name (XPN.7 L -> official, N -> nickname by NameType)
    expect(p.name!.map((n) => [n.use, n.family])).toEqual([['official', 'TESTPATIENT'], ['nickname', 'TP']]);
    // IG PID[Patient] PID-11 -> address (XAD.7 H -> use home by AddressType[Use]; M -> type postal by AddressType[Type])
    expect(p.address!.map((a) => [a.use, a.type, a.line?.[0]])).toEqual([['home', undefined, '1 TEST WAY'], [undefined, 'postal', 'PO BOX 9']]);
    // IG PID[Patient] PID-13 -> telecom (XTN.3 Internet -> system email, XTN.4 -> value; NET has no use in TelecommunicationUseCode)
    expect(p.telecom).toContainEqual({ system: 'email', value: 'alpha@example.invalid' });
    // IG PID[Patient] PID-14 -> telecom (XTN.2 WPN -> use work by TelecommunicationUseCode)
    expect(p.telecom).toContainEqual({ system: 'phone', value: '+1 555 0100009', use: 'work' });
    // IG PID[Patient] PID-16 -> maritalStatus (CWE[CodeableConcept])
    expect(p.maritalStatus?.coding?.[0]).toMatchObject({ code: 'M', display: 'Married' });
    // IG PID[Patient] PID-29 -> deceasedDateTime; PID-30 -> deceasedBoolean only IF PID-29 NOT VALUED
    expect(p.deceasedDateTime).toBe('2024-03-01T10:15:00-05:00');
    expect(p).not.toHaveProperty('deceasedBoolean');
  });
});

describe('IG concept maps in the mapper', () => {
  const A01 = readFileSync(`${FIXTURES}/adt/a01-admit.hl7`, 'latin1');
  const withPv12 = (code: string) => mapHl7Message(parseHl7(A01.replace('PV1|1|I|', `PV1|1|${code}|`)), CONFIG, OPTIONS);
  const withPid8 = (code: string) => mapHl7Message(parseHl7(A01.replace('|19700101|F|', `|19700101|${code}|`)), CONFIG, OPTIONS);

  it.each([
    ['E', ACT_CODE, 'EMER'], ['I', ACT_CODE, 'IMP'], ['O', ACT_CODE, 'AMB'], ['P', ACT_CODE, 'PRENC'],
    ['R', 'http://terminology.hl7.org/CodeSystem/v2-0004', 'R'], ['B', 'http://terminology.hl7.org/CodeSystem/v2-0004', 'B'],
    ['N', 'http://terminology.hl7.org/CodeSystem/v2-0004', 'N'], ['U', 'http://terminology.hl7.org/CodeSystem/v2-0004', 'U'],
  ])('IG PatientClass[EncounterClass] %s -> %s %s', (code, system, target) => {
    expect(one<Encounter>(withPv12(code), 'Encounter').class).toMatchObject({ system, code: target });
  });

  it.each([['F', 'female'], ['M', 'male'], ['O', 'other'], ['U', 'unknown'], ['A', 'other'], ['N', 'other']])('IG AdministrativeSex %s -> %s', (code, gender) => {
    expect(one<Patient>(withPid8(code), 'Patient').gender).toBe(gender);
  });

  it('a flagged result asks for a human (not in the IG: the gateway\'s CommunicationRequest, DIFFERENCES.md "CommunicationRequest")', () => {
    const ask = one<CommunicationRequest>(map('oru/potassium-critical-hh.hl7'), 'CommunicationRequest');
    expect(ask.priority).toBe('stat');
  });
});

