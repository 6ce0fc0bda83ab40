/**
 * Errors of the schedule store as data with stable codes. Callers switch on `code`; http/outcomes.ts
 * turns them into OperationOutcomeErrors in one table (src/http gives the status), the CLI prints
 * `message` and `issues`.
 */
import type { Issue, RoutingError } from '../routing/index.js';

export type ScheduleStoreErrorCode =
  /** The document (or the edited item) fails the schedule schema: `issues` name each path. */
  | 'ERR_SCHEDULE_INVALID'
  /** The document refers to ids that do not exist (compileSchedule refuses it): `issues` name each reference. */
  | 'ERR_SCHEDULE_REFERENCE'
  /** `expectedVersion` (If-Match) is not the stored version: someone else saved first. */
  | 'ERR_SCHEDULE_CONFLICT'
  /** No schedule document is stored under that id. */
  | 'ERR_SCHEDULE_NOT_FOUND'
  /** No item with that id in the collection. */
  | 'ERR_ITEM_NOT_FOUND'
  /** Not one of the editable collections. */
  | 'ERR_COLLECTION_UNKNOWN'
  /** An iCalendar feed or its mapping could not be read. */
  | 'ERR_ICAL_INVALID'
  /** The stored document (what a PUT, an item edit or an import produces) would pass SCHEDULE_MAX_BYTES. */
  | 'ERR_SCHEDULE_TOO_LARGE'
  /** An iCalendar import expands to more than SCHEDULE_IMPORT_MAX_OCCURRENCES occurrences. */
  | 'ERR_ICAL_TOO_MANY_OCCURRENCES'
  /** The document nests too deep, or its YAML aliases expand too far. */
  | 'ERR_SCHEDULE_TOO_COMPLEX'
  /** Checking or importing took longer than SCHEDULE_JOB_TIMEOUT_MS (the job was stopped). */
  | 'ERR_SCHEDULE_TIME_LIMIT'
  /** Checking or importing needed more memory than its worker may use (the job was stopped). */
  | 'ERR_SCHEDULE_MEMORY_LIMIT'
  /** Too many schedule jobs are waiting: try again shortly. */
  | 'ERR_SCHEDULE_BUSY';

export interface ScheduleStoreError {
  readonly code: ScheduleStoreErrorCode;
  readonly message: string;
  readonly issues: readonly Issue[];
}

export const storeError = (code: ScheduleStoreErrorCode, message: string, issues: readonly Issue[] = []): ScheduleStoreError => ({
  code,
  message,
  issues,
});

const KEPT: ReadonlySet<string> = new Set(['ERR_SCHEDULE_REFERENCE', 'ERR_ICAL_TOO_MANY_OCCURRENCES', 'ERR_SCHEDULE_TOO_COMPLEX']);

/** Routing's validation errors become store errors; the reference and limit errors keep their own codes. */
export const fromRoutingError = (e: RoutingError): ScheduleStoreError =>
  storeError(
    KEPT.has(e.code) ? (e.code as ScheduleStoreErrorCode) : e.code.startsWith('ERR_ICAL') ? 'ERR_ICAL_INVALID' : 'ERR_SCHEDULE_INVALID',
    e.message,
    e.issues,
  );

/**
 * Thrown (not returned) only when a stored document no longer validates: every write validates
 * first, so this means the row was changed behind the store's back. Fail closed: route nothing.
 */
export class StoredScheduleCorrupt extends Error {
  override readonly name = 'StoredScheduleCorrupt';
  readonly code = 'ERR_SCHEDULE_CORRUPT';
  constructor(readonly id: string, readonly issues: readonly Issue[]) {
    super(`stored schedule '${id}' does not validate (${issues.length} issue(s))`);
  }
}
