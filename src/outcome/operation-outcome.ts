// FHIR R4 OperationOutcome (operationoutcome.html): the one shape every error takes, whatever carries it
// (an HTTP response, an inbox row's reason, a CLI message). Nothing from the request and no stack ever
// goes into one: a diagnostic names the problem and, through `expression`, where it is: a value may be PHI.
import type { OperationOutcome, OperationOutcomeIssue } from 'fhir/r4.js';

/** FHIR R4 http.html#mime-type: the one FHIR JSON media type, UTF-8. */
export const FHIR_JSON = 'application/fhir+json; charset=utf-8';

export type IssueSeverity = OperationOutcomeIssue['severity'];
export type IssueCode = OperationOutcomeIssue['code'];

/** Where in the input an issue is, and what is wrong there (never the offending value: it may be PHI). */
export interface IssueDetail {
  path: string;
  message: string;
}

/** An error OperationOutcome: one issue, plus one per detail (FHIR R4 operationoutcome.html#loc: expression). */
export function outcome(code: IssueCode, diagnostics: string, details: readonly IssueDetail[] = []): OperationOutcome {
  return {
    resourceType: 'OperationOutcome',
    issue: [
      { severity: 'error', code, diagnostics },
      ...details.map((d): OperationOutcomeIssue => ({ severity: 'error', code, diagnostics: d.message, expression: [d.path] })),
    ],
  };
}

/** An informational outcome (e.g. a search parameter that was ignored). */
export function warningOutcome(code: IssueCode, diagnostics: readonly string[], severity: IssueSeverity = 'warning'): OperationOutcome {
  return { resourceType: 'OperationOutcome', issue: diagnostics.map((d) => ({ severity, code, diagnostics: d })) };
}
