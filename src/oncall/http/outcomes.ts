/**
 * One table from schedule-store and routing error codes to an OperationOutcomeError's kind and issue
 * code (src/http maps the kind to a status). Each issue path becomes an issue with `expression`.
 */
import { badRequest, OperationOutcomeError, type IssueCode, type OutcomeKind } from '../../outcome/index.js';
import type { RoutingError } from '../../routing/index.js';
import type { ScheduleStoreError } from '../errors.js';

const KIND: Record<ScheduleStoreError['code'] | RoutingError['code'], readonly [OutcomeKind, IssueCode]> = {
  ERR_SCHEDULE_INVALID: ['invalid', 'invalid'],
  ERR_SCHEDULE_REFERENCE: ['invalid', 'invalid'],
  ERR_SCHEDULE_SYNTAX: ['invalid', 'structure'],
  ERR_SCHEDULE_FORMAT_UNSUPPORTED: ['unsupported-media-type', 'not-supported'],
  ERR_SCHEDULE_CONFLICT: ['conflict', 'conflict'],
  ERR_SCHEDULE_NOT_FOUND: ['not-found', 'not-found'],
  ERR_ITEM_NOT_FOUND: ['not-found', 'not-found'],
  ERR_COLLECTION_UNKNOWN: ['not-found', 'not-found'],
  ERR_ICAL_INVALID: ['invalid', 'invalid'],
  ERR_ICAL_SYNTAX: ['invalid', 'structure'],
  ERR_ROLE_UNKNOWN: ['not-found', 'not-found'],
  ERR_INSTANT_INVALID: ['invalid', 'invalid'],
  ERR_RANGE_INVALID: ['invalid', 'invalid'],
  ERR_POLICY_UNKNOWN: ['invalid', 'invalid'],
  ERR_NO_ROUTE: ['unprocessable', 'business-rule'],
  // limits: each message names the setting
  ERR_SCHEDULE_TOO_COMPLEX: ['invalid', 'too-costly'],
  ERR_SCHEDULE_TOO_LARGE: ['too-large', 'too-costly'],
  ERR_ICAL_TOO_MANY_OCCURRENCES: ['unprocessable', 'too-costly'],
  ERR_SCHEDULE_TIME_LIMIT: ['unprocessable', 'too-costly'],
  ERR_SCHEDULE_MEMORY_LIMIT: ['unprocessable', 'too-costly'],
  ERR_SCHEDULE_BUSY: ['throttled', 'throttled'],
};

export const outcomeErrorOf = (e: ScheduleStoreError | RoutingError): OperationOutcomeError => {
  const [kind, issue] = KIND[e.code];
  return new OperationOutcomeError(kind, `${e.code}: ${e.message}`, { code: e.code, issue, details: e.issues });
};

/** `If-Match: W/"3"` (also `"3"` or `3`) -> 3; absent -> undefined; anything else is a 400. */
export const parseIfMatch = (header: string | undefined): number | undefined => {
  if (header === undefined || header.trim() === '' || header.trim() === '*') return undefined;
  const m = /^(?:W\/)?"?(\d{1,9})"?$/.exec(header.trim());
  if (m === null) throw badRequest('If-Match must be a schedule version ETag, e.g. W/"3"');
  return Number(m[1]);
};

export const etagOf = (version: number): string => `W/"${version}"`;
