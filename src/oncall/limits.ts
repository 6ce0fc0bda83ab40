/**
 * Limits on every schedule change, whichever way it arrives (PUT, an item edit, an iCalendar
 * import, the CLI): the stored document's size, the occurrences an import may expand, and the
 * time a check or an import may run in its worker thread. Set from SCHEDULE_* settings.
 */
export interface ScheduleLimits {
  /** Largest stored schedule, bytes of its JSON: what a PUT, an item edit or an import produces. */
  readonly maxBytes: number;
  /** Most occurrences one iCalendar import may expand (across all its events, before `from` too). */
  readonly maxImportOccurrences: number;
  /** Longest a check or an import may run in its worker thread before it is stopped and refused, ms. */
  readonly jobTimeoutMs: number;
}

export const DEFAULT_SCHEDULE_LIMITS: ScheduleLimits = {
  // A year of daily shifts for 50 roles is ~1.8 MB of JSON; PUT bodies have the same limit.
  maxBytes: 2 * 1024 * 1024,
  // That same year is 18,250 occurrences; an hourly RRULE for a year is 8,760 per event.
  maxImportOccurrences: 20_000,
  // A 2 MiB schedule checks (schema, references, 14 days of FHIR view) in well under a second here.
  jobTimeoutMs: 10_000,
};

/** The limits from the gateway's settings (SCHEDULE_MAX_BYTES, SCHEDULE_IMPORT_MAX_OCCURRENCES, SCHEDULE_JOB_TIMEOUT_MS). */
export const limitsFromSettings = (s: {
  readonly SCHEDULE_MAX_BYTES: number;
  readonly SCHEDULE_IMPORT_MAX_OCCURRENCES: number;
  readonly SCHEDULE_JOB_TIMEOUT_MS: number;
}): ScheduleLimits => ({ maxBytes: s.SCHEDULE_MAX_BYTES, maxImportOccurrences: s.SCHEDULE_IMPORT_MAX_OCCURRENCES, jobTimeoutMs: s.SCHEDULE_JOB_TIMEOUT_MS });
