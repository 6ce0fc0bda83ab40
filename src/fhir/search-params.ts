// The search parameters each resource type supports (FHIR R4 search.html), as one table: the parser
// (search-parse.ts) reads names, types and modifiers from it, the extractor (search-columns.ts) reads
// where each parameter's values are in a resource, and the CapabilityStatement (capability.ts) is
// generated from it, so what is advertised, what is parsed and what is stored cannot drift apart.
import type { SupportedType } from './resource-types.js';

/** Where a parameter's values are in a resource (the element at the top level of the resource). */
export type ParamSource =
  /** a `code` element; its code system is implicit (FHIR R4 datatypes.html#code), named here */
  | { kind: 'code'; element: string; system: string }
  /** CodeableConcept (or a list of them): each coding's system|code */
  | { kind: 'CodeableConcept'; element: string }
  /** Identifier list: system|value */
  | { kind: 'Identifier'; element: string }
  /** Reference (or a list); `only` keeps references to that type alone (`patient` = subject when a Patient) */
  | { kind: 'Reference'; element: string; only?: string }
  /** dateTime / instant / Period, or a choice of them (`effective` = effectiveDateTime | effectivePeriod | effectiveInstant) */
  | { kind: 'date'; element: string; choice: boolean }
  /**
   * a `date` element that is PHI (Patient.birthDate): stored as a keyed hash of its exact value, so
   * searched by an exact date only (no prefix, no range, no partial date)
   */
  | { kind: 'hashedDate'; element: string }
  /** the resource's own id / meta.lastUpdated: columns of their own, not extracted */
  | { kind: 'id' }
  | { kind: 'lastUpdated' };

export interface SearchParamDef {
  name: string;
  /** FHIR R4 search.html#ptypes */
  type: 'token' | 'date' | 'reference';
  /** the base specification's SearchParameter this implements; absent for one of our own */
  definition?: string;
  documentation: string;
  source: ParamSource;
  /** reference parameters: the resource types a `:Type` modifier may name */
  targets?: readonly string[];
}

const SP = 'http://hl7.org/fhir/SearchParameter/';

const ID: SearchParamDef = { name: '_id', type: 'token', definition: `${SP}Resource-id`, documentation: 'Logical id (comma-separated list allowed)', source: { kind: 'id' } };
const LAST_UPDATED: SearchParamDef = {
  name: '_lastUpdated', type: 'date', definition: `${SP}Resource-lastUpdated`,
  documentation: 'meta.lastUpdated; prefixes eq, gt, ge, lt, le; repeat for a range', source: { kind: 'lastUpdated' },
};
const identifier = (resource: string): SearchParamDef => ({
  name: 'identifier', type: 'token', definition: `${SP}${resource}-identifier`,
  documentation: 'system|value, |value, system| or value', source: { kind: 'Identifier', element: 'identifier' },
});
const status = (resource: string, system: string): SearchParamDef => ({
  name: 'status', type: 'token', definition: `${SP}${resource}-status`, documentation: `status code (code or ${system}|code)`, source: { kind: 'code', element: 'status', system },
});
/** R4 defines priority on requests; on Communication (which has the element) it is our own parameter. */
const priority = (resource: string | null): SearchParamDef => ({
  name: 'priority', type: 'token', ...(resource ? { definition: `${SP}${resource}-priority` } : {}),
  documentation: 'routine | urgent | asap | stat (code or http://hl7.org/fhir/request-priority|code)',
  source: { kind: 'code', element: 'priority', system: 'http://hl7.org/fhir/request-priority' },
});
const concept = (name: string, definition: string, element = name): SearchParamDef => ({
  name, type: 'token', definition, documentation: `${element} coding: system|code, |code, system| or code`, source: { kind: 'CodeableConcept', element },
});
const reference = (name: string, element: string, definition: string, targets: readonly string[], only?: string): SearchParamDef => ({
  name, type: 'reference', definition, targets,
  documentation: only
    ? `${element}, when it is a ${only} (id, ${only}/id or :${only}=id)`
    : `${element} reference (Type/id, :Type=id, or id for any type)`,
  source: { kind: 'Reference', element, ...(only ? { only } : {}) },
});
const date = (definition: string, element: string, choice: boolean): SearchParamDef => ({
  name: 'date', type: 'date', definition,
  documentation: `${choice ? `${element}[x]` : element} as a range; prefixes eq, gt, ge, lt, le (search.html#prefix)`,
  source: { kind: 'date', element, choice },
});

const ANY = ['Patient', 'Group', 'Practitioner', 'PractitionerRole', 'RelatedPerson', 'Organization', 'Device', 'Location', 'Encounter', 'CareTeam', 'HealthcareService'] as const;
const patient = (definition: string) => reference('patient', 'subject', definition, ['Patient'], 'Patient');
const subject = (resource: string) => reference('subject', 'subject', `${SP}${resource}-subject`, ANY);

const REQUEST_STATUS = 'http://hl7.org/fhir/request-status';
const EVENT_STATUS = 'http://hl7.org/fhir/event-status';

export const SEARCH_PARAMS: Record<SupportedType, readonly SearchParamDef[]> = {
  Communication: [
    ID, LAST_UPDATED, identifier('Communication'), patient(`${SP}Communication-patient`), subject('Communication'),
    status('Communication', EVENT_STATUS), priority(null),
    reference('recipient', 'recipient', `${SP}Communication-recipient`, ANY),
    reference('based-on', 'basedOn', `${SP}Communication-based-on`, ['CommunicationRequest', 'ServiceRequest', 'CarePlan', 'MedicationRequest']),
  ],
  CommunicationRequest: [
    ID, LAST_UPDATED, identifier('CommunicationRequest'), patient(`${SP}CommunicationRequest-patient`), subject('CommunicationRequest'),
    status('CommunicationRequest', REQUEST_STATUS), priority('CommunicationRequest'),
    reference('recipient', 'recipient', `${SP}CommunicationRequest-recipient`, ANY),
    reference('based-on', 'basedOn', `${SP}CommunicationRequest-based-on`, ['ServiceRequest', 'CarePlan', 'MedicationRequest', 'CommunicationRequest']),
  ],
  Patient: [
    ID, LAST_UPDATED, identifier('Patient'),
    {
      name: 'birthdate', type: 'date', definition: `${SP}individual-birthdate`,
      documentation: 'exact date only (YYYY-MM-DD, or eqYYYY-MM-DD): birth dates are stored as keyed hashes, so no prefix, range or partial date',
      source: { kind: 'hashedDate', element: 'birthDate' },
    },
  ],
  Encounter: [
    ID, LAST_UPDATED, identifier('clinical'), patient(`${SP}clinical-patient`), subject('Encounter'),
    status('Encounter', 'http://hl7.org/fhir/encounter-status'), date(`${SP}clinical-date`, 'period', false),
  ],
  Observation: [
    ID, LAST_UPDATED, identifier('clinical'), patient(`${SP}clinical-patient`), subject('Observation'),
    status('Observation', 'http://hl7.org/fhir/observation-status'),
    concept('code', `${SP}clinical-code`), concept('category', `${SP}Observation-category`),
    date(`${SP}clinical-date`, 'effective', true),
  ],
  DiagnosticReport: [
    ID, LAST_UPDATED, identifier('clinical'), patient(`${SP}clinical-patient`), subject('DiagnosticReport'),
    status('DiagnosticReport', 'http://hl7.org/fhir/diagnostic-report-status'),
    concept('code', `${SP}clinical-code`), concept('category', `${SP}DiagnosticReport-category`),
    date(`${SP}clinical-date`, 'effective', true),
  ],
  ServiceRequest: [
    ID, LAST_UPDATED, identifier('clinical'), patient(`${SP}clinical-patient`), subject('ServiceRequest'),
    status('ServiceRequest', REQUEST_STATUS), priority('ServiceRequest'), concept('code', `${SP}clinical-code`),
  ],
  Specimen: [
    ID, LAST_UPDATED, identifier('Specimen'), patient(`${SP}Specimen-patient`), subject('Specimen'),
    status('Specimen', 'http://hl7.org/fhir/specimen-status'),
  ],
  Practitioner: [ID, LAST_UPDATED, identifier('Practitioner')],
  PractitionerRole: [ID, LAST_UPDATED, identifier('PractitionerRole')],
  Schedule: [ID, LAST_UPDATED, identifier('Schedule')],
  Slot: [ID, LAST_UPDATED, identifier('Slot'), status('Slot', 'http://hl7.org/fhir/slotstatus')],
};

/** The definition of `name` for `type`, if it is one we support. */
export function searchParam(type: SupportedType, name: string): SearchParamDef | undefined {
  return SEARCH_PARAMS[type].find((p) => p.name === name);
}

/**
 * True when searches on `type` can be limited to one patient (a SMART `patient/` scope): the type is
 * Patient itself, or has a `patient` parameter.
 */
export function hasPatientCompartment(type: SupportedType): boolean {
  return type === 'Patient' || searchParam(type, 'patient') !== undefined;
}

/** FHIR R4 search.html#Summary: result parameters, valid on every type. */
export const RESULT_PARAMS = ['_count', '_cursor', '_summary', '_sort'] as const;

/** _count: 20 when absent, at most 200 per page (FHIR R4 search.html#count: the server may return fewer). */
export const DEFAULT_COUNT = 20;
export const MAX_COUNT = 200;
