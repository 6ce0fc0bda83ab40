/**
 * Errors and findings of the routing stage, as data with stable codes.
 * Callers switch on `code`, never on `message`.
 */

export type Result<T, E> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: E };

export const ok = <T>(value: T): { readonly ok: true; readonly value: T } => ({ ok: true, value });
export const err = <E>(error: E): { readonly ok: false; readonly error: E } => ({ ok: false, error });

/** Codes of errors that stop a schedule file from loading or a message from being routed. */
export type RoutingErrorCode =
  | 'ERR_SCHEDULE_FORMAT_UNSUPPORTED'
  | 'ERR_SCHEDULE_SYNTAX'
  | 'ERR_SCHEDULE_INVALID'
  | 'ERR_SCHEDULE_REFERENCE'
  | 'ERR_ROLE_UNKNOWN'
  | 'ERR_INSTANT_INVALID'
  | 'ERR_RANGE_INVALID'
  | 'ERR_POLICY_UNKNOWN'
  | 'ERR_NO_ROUTE'
  | 'ERR_ICAL_SYNTAX'
  | 'ERR_ICAL_INVALID'
  /** An iCalendar import expands to more occurrences than its limit. */
  | 'ERR_ICAL_TOO_MANY_OCCURRENCES'
  /** A schedule (or mapping) document nests deeper than the limit, or its YAML aliases expand too far. */
  | 'ERR_SCHEDULE_TOO_COMPLEX';

/** One problem at one place: `path` is a JSON path like `roles[2].layers[0].rotation`. */
export interface Issue {
  readonly path: string;
  readonly message: string;
}

export interface RoutingError {
  readonly code: RoutingErrorCode;
  readonly message: string;
  readonly issues: readonly Issue[];
  /** Routing is pure: retrying the same input gives the same error. */
  readonly retryable: false;
}

export const routingError = (code: RoutingErrorCode, message: string, issues: readonly Issue[] = []): RoutingError => ({
  code,
  message,
  issues,
  retryable: false,
});

/** Lint codes: `error` findings also stop `compileSchedule`; `warning` findings do not. */
export type LintCode =
  | 'UNKNOWN_PRACTITIONER'
  | 'UNKNOWN_ROTATION'
  | 'UNKNOWN_ROLE'
  | 'UNKNOWN_SERVICE'
  | 'UNKNOWN_ORGANIZATION'
  | 'UNKNOWN_GROUP'
  | 'UNKNOWN_POLICY'
  | 'DUPLICATE_ID'
  | 'INVALID_TIME_ZONE'
  | 'EMPTY_ROTATION'
  | 'EMPTY_GROUP'
  | 'GAP'
  | 'OVERLAP'
  | 'NO_CHANNEL'
  | 'INVALID_INTERVAL'
  | 'RANGE_INVALID';

export type Severity = 'error' | 'warning';

export interface LintFinding {
  readonly code: LintCode;
  readonly severity: Severity;
  readonly path: string;
  readonly message: string;
  readonly role?: string;
  /** Epoch ms, half-open [start, end), for GAP and OVERLAP. */
  readonly start?: number;
  readonly end?: number;
}
