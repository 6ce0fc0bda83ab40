// The resource types this server stores and serves, and the search parameters each supports. One
// table feeds the search parser, the SQL and the CapabilityStatement, so they cannot disagree.

/** FHIR R4 datatypes.html#id: [A-Za-z0-9\-\.]{1,64} */
export const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;

export const SUPPORTED_TYPES = [
  'Communication',
  'CommunicationRequest',
  'Patient',
  'Encounter',
  'Observation',
  'DiagnosticReport',
  'ServiceRequest',
  'Specimen',
  'Practitioner',
  'PractitionerRole',
  'Schedule',
  'Slot',
] as const;
export type SupportedType = (typeof SUPPORTED_TYPES)[number];

export const isSupportedType = (t: string): t is SupportedType => (SUPPORTED_TYPES as readonly string[]).includes(t);

/** The search parameters we implement; each maps to one extracted column of fhir_resource. */
export type SearchParamName = '_id' | '_lastUpdated' | 'identifier' | 'patient' | 'subject' | 'status' | 'priority' | 'recipient';

export interface SearchParamDef {
  name: SearchParamName;
  /** FHIR R4 search.html#ptypes */
  type: 'token' | 'date' | 'reference';
  documentation: string;
}

const P: Record<SearchParamName, SearchParamDef> = {
  _id: { name: '_id', type: 'token', documentation: 'Logical id (comma-separated list allowed)' },
  _lastUpdated: { name: '_lastUpdated', type: 'date', documentation: 'meta.lastUpdated; prefixes eq, gt, ge, lt, le; repeat for a range' },
  identifier: { name: 'identifier', type: 'token', documentation: 'system|value, |value, system| or value' },
  patient: { name: 'patient', type: 'reference', documentation: 'subject, when it is a Patient (id or Patient/id)' },
  subject: { name: 'subject', type: 'reference', documentation: 'subject reference (Type/id, or id for any type)' },
  status: { name: 'status', type: 'token', documentation: 'status code' },
  priority: { name: 'priority', type: 'token', documentation: 'routine | urgent | asap | stat' },
  recipient: { name: 'recipient', type: 'reference', documentation: 'recipient reference (Type/id, or id for any type)' },
};

const BASE = [P._id, P._lastUpdated, P.identifier];
const WITH_SUBJECT = [...BASE, P.patient, P.subject, P.status];

export const SEARCH_PARAMS: Record<SupportedType, readonly SearchParamDef[]> = {
  Communication: [...WITH_SUBJECT, P.priority, P.recipient],
  CommunicationRequest: [...WITH_SUBJECT, P.priority, P.recipient],
  Patient: BASE,
  Encounter: WITH_SUBJECT,
  Observation: WITH_SUBJECT,
  DiagnosticReport: WITH_SUBJECT,
  ServiceRequest: [...WITH_SUBJECT, P.priority],
  Specimen: WITH_SUBJECT,
  Practitioner: BASE,
  PractitionerRole: BASE,
  Schedule: BASE,
  Slot: [...BASE, P.status],
};

/** FHIR R4 search.html#Summary: result parameters, valid on every type. */
export const RESULT_PARAMS = ['_count', '_cursor', '_summary', '_sort'] as const;

/** _count: 20 when absent, at most 200 per page (FHIR R4 search.html#count: the server may return fewer). */
export const DEFAULT_COUNT = 20;
export const MAX_COUNT = 200;
