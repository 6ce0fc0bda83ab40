// The resource types this server stores and serves (their search parameters: search-params.ts).

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
