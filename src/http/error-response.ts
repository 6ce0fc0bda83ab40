// Errors to HTTP, once (FHIR R4 http.html#summary): every layer below throws an OperationOutcomeError
// (src/outcome) with a `kind`; this file alone knows which status each kind is. Nothing from the
// request and no stack ever goes into a response or a log line (no PHI leaves through an error).
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { OperationOutcome } from 'fhir/r4.js';
import { FHIR_JSON, OperationOutcomeError, outcome, unavailable, type IssueCode, type OutcomeKind } from '../outcome/index.js';
import type { Logger } from '../obs/index.js';
import { isUnavailable } from '../store/index.js';

/** The one table from an error's kind to its HTTP status. */
const STATUS: Record<OutcomeKind, number> = {
  invalid: 400,
  'not-supported': 400,
  'unsupported-media-type': 415,
  'not-found': 404,
  conflict: 409,
  'precondition-failed': 412,
  'too-large': 413,
  unprocessable: 422,
  unauthenticated: 401,
  forbidden: 403,
  throttled: 429,
  unavailable: 503,
  internal: 500,
};

/**
 * Seconds a client should wait before retrying after a 503: the store is pinged every 250 ms by
 * default, so a recovered store is used again within a second; 1 s keeps retries cheap and prompt.
 */
const RETRY_AFTER_S = 1;

export const statusOf = (e: OperationOutcomeError): number => STATUS[e.kind];

/** Issue code for a status we did not produce ourselves (a Hono HTTPException from middleware). */
function codeForStatus(status: number): IssueCode {
  if (status === 401) return 'login';
  if (status === 403) return 'forbidden';
  if (status === 404) return 'not-found';
  if (status === 409) return 'conflict';
  if (status === 413) return 'too-costly';
  if (status === 429) return 'throttled';
  if (status >= 400 && status < 500) return 'invalid';
  return 'exception';
}

export function outcomeResponse(status: number, body: OperationOutcome, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': FHIR_JSON, ...headers } });
}

/** The code system of our stable error codes (`ERR_AUTH_REVOKED`, `ERR_FHIR_SEARCH_PARAM_UNKNOWN` …). */
export const ERROR_CODE_SYSTEM = 'urn:switchboard:error-code';

/** The error's stable code in its first issue's details (FHIR R4 OperationOutcome.issue.details), for clients to switch on. */
function withCode(o: OperationOutcome, code: string): OperationOutcome {
  const [first, ...rest] = o.issue;
  return first ? { ...o, issue: [{ ...first, details: { coding: [{ system: ERROR_CODE_SYSTEM, code }] } }, ...rest] } : o;
}

/** An OperationOutcomeError as its response: 401 carries WWW-Authenticate, 503 Retry-After. */
export function errorResponse(e: OperationOutcomeError): Response {
  const status = statusOf(e);
  const headers: Record<string, string> = {};
  if (status === 401) headers['www-authenticate'] = 'Bearer realm="switchboard"';
  if (status === 503) headers['retry-after'] = String(RETRY_AFTER_S);
  // a throttled sign-in says when it will be checked again (src/auth/local-errors.ts)
  const retryAfterS = (e as { retryAfterS?: unknown }).retryAfterS;
  if (status === 429 && typeof retryAfterS === 'number') headers['retry-after'] = String(retryAfterS);
  return outcomeResponse(status, withCode(e.outcome, e.code), headers);
}

/**
 * Hono `onError`: an OperationOutcomeError -> its status and outcome; an HTTPException (Hono
 * middleware) -> its status with a fixed text and its WWW-Authenticate; anything else -> 500 with a
 * fixed text. The message of anything but an OperationOutcomeError is never echoed: it may quote
 * request data.
 */
export function createOnError(log?: Logger): (err: Error, c: Context) => Response {
  return (err, c) => {
    if (err instanceof OperationOutcomeError) return errorResponse(err);
    // the store cannot be reached now (connection refused or lost, known down, a statement timeout):
    // the caller should retry, so 503 with Retry-After, not 500
    if (isUnavailable(err)) {
      log?.warn('http.store_unavailable', { errorCode: (err as { code?: string }).code, method: c.req.method, status: 503 });
      return errorResponse(unavailable('store unavailable; retry later', { code: 'ERR_STORE_UNAVAILABLE' }));
    }
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
