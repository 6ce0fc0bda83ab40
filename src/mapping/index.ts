// src/mapping: pure HL7 v2 / call note -> FHIR R4 mapping, triage and the site mapping config.
// No I/O, no clock, no randomness: the same input, config and id key give a byte-identical Bundle.
export type { SiteConfig, Priority } from './config.js';
export { DEFAULT_SITE_CONFIG, parseSiteConfig, siteConfigSchema, PRIORITIES } from './config.js';
export type { MappingReport } from './report.js';
export type { Triage, TriageHit } from './triage.js';
export { triageResult, triageAdt, triageCall, combine as combineTriage } from './triage.js';
export type { MappingResult, RoutingFacts } from './assemble.js';
export { mapHl7Message, type MapOptions } from './map-message.js';
export { mapCallNote } from './call-note.js';
export { callNoteIdPairs, hl7IdPairs } from './rekey.js';
export { MappingError, isMappingError, type MappingErrorCode } from './errors.js';
export { DEVELOPMENT_ID_KEY, MIN_ID_KEY_BYTES } from './ids.js';
export { MAX_REPETITIONS, MAX_SEGMENTS, MAX_TEXT_LINES } from './limits.js';
export { toFhirDate, toFhirDateTime, toFhirInstant } from './datetime.js';
