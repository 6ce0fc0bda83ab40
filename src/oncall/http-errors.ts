/**
 * One table from schedule-store and routing error codes to HTTP status + OperationOutcome issue
 * code (FHIR R4 http.html#summary). Each issue path becomes an issue with `expression`.
 */
import { HttpError, outcome, type IssueCode } from '../http/outcome.js';
import type { RoutingError } from '../routing/index.js';
import type { ScheduleStoreError } from './errors.js';

const STATUS: Record<ScheduleStoreError['code'] | RoutingError['code'], readonly [number, IssueCode]> = {
  ERR_SCHEDULE_INVALID: [400, 'invalid'],
  ERR_SCHEDULE_REFERENCE: [400, 'invalid'],
  ERR_SCHEDULE_SYNTAX: [400, 'structure'],
  ERR_SCHEDULE_FORMAT_UNSUPPORTED: [415, 'not-supported'],
  ERR_SCHEDULE_CONFLICT: [409, 'conflict'],
  ERR_SCHEDULE_NOT_FOUND: [404, 'not-found'],
  ERR_ITEM_NOT_FOUND: [404, 'not-found'],
  ERR_COLLECTION_UNKNOWN: [404, 'not-found'],
  ERR_ICAL_INVALID: [400, 'invalid'],
  ERR_ICAL_SYNTAX: [400, 'structure'],
  ERR_ROLE_UNKNOWN: [404, 'not-found'],
  ERR_INSTANT_INVALID: [400, 'invalid'],
  ERR_RANGE_INVALID: [400, 'invalid'],
  ERR_POLICY_UNKNOWN: [400, 'invalid'],
  ERR_NO_ROUTE: [422, 'business-rule'],
};

export const httpErrorOf = (e: ScheduleStoreError | RoutingError): HttpError => {
  const [status, code] = STATUS[e.code];
  return new HttpError(status, outcome(code, `${e.code}: ${e.message}`, e.issues));
};

/** `If-Match: W/"3"` (also `"3"` or `3`) -> 3; absent -> undefined; anything else is a 400. */
export const parseIfMatch = (header: string | undefined): number | undefined => {
  if (header === undefined || header.trim() === '' || header.trim() === '*') return undefined;
  const m = /^(?:W\/)?"?(\d{1,9})"?$/.exec(header.trim());
  if (m === null) throw new HttpError(400, outcome('invalid', 'If-Match must be a schedule version ETag, e.g. W/"3"'));
  return Number(m[1]);
};

export const etagOf = (version: number): string => `W/"${version}"`;
