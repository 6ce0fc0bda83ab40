// src/outcome: errors as FHIR OperationOutcomes with stable codes, independent of any transport.
export { FHIR_JSON, outcome, warningOutcome } from './operation-outcome.js';
export type { IssueCode, IssueDetail, IssueSeverity } from './operation-outcome.js';
export {
  OperationOutcomeError, isOutcomeError,
  badRequest, notSupported, notFound, conflict, preconditionFailed, tooLarge, unsupportedMediaType, unprocessable, unavailable,
} from './outcome-error.js';
export type { OutcomeKind, OutcomeErrorOptions } from './outcome-error.js';
