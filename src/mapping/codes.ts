// Code tables: v2 coding-system names (HL7 table 0396) -> FHIR code system URIs, and the concept maps
// of the HL7 v2-to-FHIR IG used by the mappers (OBX-11, OBR-25, PID-8, OBX-8, PV1-2, CX-5, XPN-7).
import { urnSegment } from './bundle.js';
import { configEntry, type SiteConfig } from './config.js';
import { table } from '../text/index.js';

/** HL7 Terminology (THO) URIs of the coding systems seen in lab and ADT feeds. */
const KNOWN_SYSTEMS: Readonly<Record<string, string>> = table({
  LN: 'http://loinc.org',
  LOINC: 'http://loinc.org',
  SCT: 'http://snomed.info/sct',
  'SNOMED-CT': 'http://snomed.info/sct',
  UCUM: 'http://unitsofmeasure.org',
  I9: 'http://hl7.org/fhir/sid/icd-9-cm',
  I9C: 'http://hl7.org/fhir/sid/icd-9-cm',
  I9CDX: 'http://hl7.org/fhir/sid/icd-9-cm',
  I10: 'http://hl7.org/fhir/sid/icd-10',
  I10C: 'http://hl7.org/fhir/sid/icd-10-cm',
  ICD10CM: 'http://hl7.org/fhir/sid/icd-10-cm',
  C4: 'http://www.ama-assn.org/go/cpt',
  CPT: 'http://www.ama-assn.org/go/cpt',
  NDC: 'http://hl7.org/fhir/sid/ndc',
  RXNORM: 'http://www.nlm.nih.gov/research/umls/rxnorm',
  CVX: 'http://hl7.org/fhir/sid/cvx',
  CDCREC: 'urn:oid:2.16.840.1.113883.6.238',
  DCM: 'http://dicom.nema.org/resources/ontology/DCM',
});

/** codeSystemUri results per config object (a SiteConfig is never changed after validation). */
const systemsByConfig = new WeakMap<SiteConfig, Map<string, string | undefined>>();

/** Bound on the names remembered per config: names come from messages, so they are not a closed set. */
const MAX_REMEMBERED_SYSTEMS = 10_000;

/**
 * Code system URI of a v2 coding-system name: site config first, then THO, then a minted URN.
 * Remembered per config and name: every coded field asks, mostly for the same few names (LN, L, SCT).
 */
export function codeSystemUri(name: string, config: SiteConfig): string | undefined {
  let known = systemsByConfig.get(config);
  if (!known) systemsByConfig.set(config, (known = new Map()));
  const hit = known.get(name);
  if (hit !== undefined || known.has(name)) return hit;
  if (known.size >= MAX_REMEMBERED_SYSTEMS) known.clear();
  const uri = resolveCodeSystem(name, config);
  known.set(name, uri);
  return uri;
}

function resolveCodeSystem(name: string, config: SiteConfig): string | undefined {
  const n = name.trim();
  if (n === '') return undefined;
  const site = configEntry(config.codeSystems, n);
  if (site) return site;
  const known = KNOWN_SYSTEMS[n.toUpperCase()];
  if (known) return known;
  // v2-to-FHIR IG: HL7nnnn names a v2 table -> THO v2-nnnn
  const table = /^HL7(\d{4})$/i.exec(n);
  if (table) return `http://terminology.hl7.org/CodeSystem/v2-${table[1]}`;
  return `${config.systemBase}:code-system:${urnSegment(n)}`;
}

export const V3_INTERPRETATION = 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation';

/** v2 table 0078 flags that are also v3 ObservationInterpretation codes, with their display. */
export const INTERPRETATION_DISPLAY: Readonly<Record<string, string>> = table({
  L: 'Low', H: 'High', LL: 'Critical low', HH: 'Critical high', N: 'Normal', A: 'Abnormal',
  AA: 'Critical abnormal', '<': 'Off scale low', '>': 'Off scale high', U: 'Significant change up',
  D: 'Significant change down', B: 'Better', W: 'Worse', S: 'Susceptible', R: 'Resistant',
  I: 'Intermediate', MS: 'moderately susceptible', VS: 'very susceptible', POS: 'Positive',
  NEG: 'Negative', IND: 'Indeterminate', DET: 'Detected', ND: 'Not detected', E: 'Equivocal',
  EX: 'outside threshold', HU: 'Significantly high', LU: 'Significantly low', NR: 'Non-reactive',
  RR: 'Reactive', WR: 'Weakly reactive', SDD: 'Susceptible-dose dependent', NS: 'Non-susceptible',
  AC: 'Abnormal', TOX: 'Toxic', CAR: 'Carrier', 'H>': 'Significantly high', 'L<': 'Significantly low',
});

/** v2-to-FHIR IG ConceptMap table 0085 (OBX-11) -> Observation.status. */
export const OBSERVATION_STATUS: Readonly<Record<string, 'registered' | 'preliminary' | 'final' | 'amended' | 'corrected' | 'cancelled' | 'entered-in-error'>> = table({
  C: 'corrected', D: 'entered-in-error', F: 'final', I: 'registered', O: 'registered', P: 'preliminary',
  R: 'preliminary', S: 'preliminary', U: 'final', W: 'entered-in-error', X: 'cancelled', A: 'amended',
});

/** v2-to-FHIR IG ConceptMap table 0123 (OBR-25) -> DiagnosticReport.status. */
export const REPORT_STATUS: Readonly<Record<string, 'registered' | 'partial' | 'preliminary' | 'final' | 'corrected' | 'cancelled' | 'entered-in-error'>> = table({
  O: 'registered', I: 'registered', S: 'registered', A: 'partial', P: 'preliminary', C: 'corrected',
  R: 'partial', F: 'final', X: 'cancelled', Y: 'partial', Z: 'partial',
});

/** v2-to-FHIR IG ConceptMap AdministrativeSex (table 0001, PID-8) -> administrative gender. */
export const GENDER: Readonly<Record<string, 'male' | 'female' | 'other' | 'unknown'>> = table({
  M: 'male', F: 'female', O: 'other', U: 'unknown', A: 'other', N: 'other',
});

const ACT_CODE = 'http://terminology.hl7.org/CodeSystem/v3-ActCode';
const V2_0004 = 'http://terminology.hl7.org/CodeSystem/v2-0004';

/**
 * v2-to-FHIR IG ConceptMap PatientClass[EncounterClass] (table 0004, PV1-2) -> Encounter.class: v3
 * ActCode where one fits, else the v2 code itself (THO v2-0004).
 */
export const ENCOUNTER_CLASS: Readonly<Record<string, { system: string; code: string; display: string }>> = table({
  E: { system: ACT_CODE, code: 'EMER', display: 'emergency' },
  I: { system: ACT_CODE, code: 'IMP', display: 'inpatient encounter' },
  O: { system: ACT_CODE, code: 'AMB', display: 'ambulatory' },
  P: { system: ACT_CODE, code: 'PRENC', display: 'pre-admission' },
  R: { system: V2_0004, code: 'R', display: 'Recurring patient' },
  B: { system: V2_0004, code: 'B', display: 'Obstetrics' },
  C: { system: V2_0004, code: 'C', display: 'Commercial Account' },
  N: { system: V2_0004, code: 'N', display: 'Not Applicable' },
  U: { system: V2_0004, code: 'U', display: 'Unknown' },
});

/** HL7 table 0203 identifier types that THO's v2-0203 defines (subset seen in feeds). */
export const IDENTIFIER_TYPES = new Set([
  'MR', 'SS', 'PI', 'PT', 'AN', 'VN', 'DL', 'NPI', 'PPN', 'MC', 'MA', 'PN', 'EI', 'FI', 'XX', 'PRN',
  'BR', 'NI', 'NH', 'PLAC', 'FILL', 'SB', 'SN', 'TAX', 'U', 'DN', 'MCN', 'EN', 'BRN', 'LR', 'RRI',
]);

/** XPN-7 name type (table 0200) -> HumanName.use. */
export const NAME_USE: Readonly<Record<string, 'official' | 'usual' | 'maiden' | 'nickname' | 'old' | 'anonymous'>> = table({
  L: 'official', D: 'usual', M: 'maiden', N: 'nickname', C: 'old', S: 'anonymous', A: 'usual',
});

/** HL7 OIDs with a canonical FHIR system URI (THO identifier systems). */
export const CANONICAL_OIDS: Readonly<Record<string, string>> = table({
  '2.16.840.1.113883.4.1': 'http://hl7.org/fhir/sid/us-ssn',
  '2.16.840.1.113883.4.6': 'http://hl7.org/fhir/sid/us-npi',
});
