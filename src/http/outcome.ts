// Errors as FHIR OperationOutcomes, mapped once to HTTP status (FHIR R4 operationoutcome.html,
// http.html#summary). Every route throws HttpError; onError turns it into the response. Nothing from
// the request and no stack ever goes into a response or a log line (PHI-safe, STYLE.md habit 9).
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { OperationOutcome, OperationOutcomeIssue } from 'fhir/r4.js';
import type { Logger } from '../obs/index.js';

/** FHIR R4 http.html#mime-type: the one JSON media type, UTF-8. */
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

/** One typed error for every HTTP failure: a status and the OperationOutcome that explains it. */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly status: number,
    readonly outcome: OperationOutcome,
  ) {
    super(outcome.issue[0]?.diagnostics ?? `HTTP ${status}`);
  }
}

export const isHttpError = (e: unknown): e is HttpError => e instanceof HttpError;

// FHIR R4 http.html#summary: the status codes of the RESTful API and the issue type each carries.
export const badRequest = (diagnostics: string): HttpError => new HttpError(400, outcome('invalid', diagnostics));
export const notSupported = (diagnostics: string): HttpError => new HttpError(400, outcome('not-supported', diagnostics));
export const notFound = (diagnostics: string): HttpError => new HttpError(404, outcome('not-found', diagnostics));
export const preconditionFailed = (diagnostics: string): HttpError => new HttpError(412, outcome('multiple-matches', diagnostics));

/** Issue code for a status we did not produce ourselves (e.g. a Hono HTTPException from middleware). */
function codeForStatus(status: number): IssueCode {
  if (status === 401) return 'login';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not-found';
  if (status === 409) return 'conflict';
  if (status === 413) return 'too-long';
  if (status === 429) return 'throttled';
  if (status >= 400 && status < 500) return 'invalid';
  return 'exception';
}

export function outcomeResponse(status: number, outcome: OperationOutcome, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(outcome), { status, headers: { 'content-type': FHIR_JSON, ...headers } });
}

/**
 * Hono `onError`: HttpError -> its status and outcome; HTTPException (Hono middleware, e.g. bearer auth)
 * -> its status with a fixed text and its headers (WWW-Authenticate); anything else -> 500 with a fixed
 * text. The error's message is never echoed for non-HttpErrors: it may quote request data.
 */
export function createOnError(log?: Logger): (err: Error, c: Context) => Response {
  return (err, c) => {
    if (isHttpError(err)) return outcomeResponse(err.status, err.outcome);
    if (err instanceof HTTPException) {
      const headers: Record<string, string> = {};
      const auth = err.res?.headers.get('www-authenticate');
      if (auth) headers['www-authenticate'] = auth;
      return outcomeResponse(err.status, outcome(codeForStatus(err.status), `HTTP ${err.status}`), headers);
    }
    log?.error('http.unhandled_error', { errorName: err.name, method: c.req.method, status: 500 });
    return outcomeResponse(500, outcome('exception', 'Internal server error'));
  };
}

/** The default handler, without logging. */
export const onError = createOnError();
