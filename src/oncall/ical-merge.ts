/**
 * Merging an iCalendar feed into the stored schedule: the stored document is loaded, the feed is
 * expanded and merged (jobs/tasks.ts mergeCalendar, in the jobs' thread, within the import limits)
 * and the result saved with the version check. Shifts for a role the schedule does not have are
 * reported in `skipped`, not dropped silently.
 */
import type { Sql } from '../store/index.js';
import { err, ok, type Issue, type Result } from '../routing/index.js';
import { storeError, type ScheduleStoreError } from './errors.js';
import { DEFAULT_SCHEDULE_LIMITS } from './limits.js';
import { DEFAULT_SCHEDULE_ID, loadSchedule, writeValidated, lockSchedule, type SaveOptions } from './schedule-store.js';
import { InlineJobs } from './jobs/pool.js';

export interface ImportOptions extends SaveOptions {
  /** Occurrences overlapping [from, to) are imported, epoch ms. */
  readonly from: number;
  readonly to: number;
  /** Layer id the shifts go into; default `ical`. */
  readonly layer?: string | undefined;
}

export interface Imported {
  readonly version: number;
  readonly shifts: number;
  readonly skipped: readonly Issue[];
}

const inline = new InlineJobs();

/** Loads the stored schedule, merges the feed, saves (checked, version-checked). `mappingText` is the mapping's JSON. */
export async function importCalendarIntoStore(sql: Sql, ics: string, mappingText: string, opts: ImportOptions): Promise<Result<Imported, ScheduleStoreError>> {
  const id = opts.id ?? DEFAULT_SCHEDULE_ID;
  const stored = await loadSchedule(sql, id);
  if (stored === undefined) return err(storeError('ERR_SCHEDULE_NOT_FOUND', 'no schedule is stored: import a JSON/YAML schedule first'));
  const merged = await (opts.jobs ?? inline).merge({
    schedule: stored.schedule,
    ics,
    mappingText,
    from: opts.from,
    to: opts.to,
    layer: opts.layer,
    limits: opts.limits ?? DEFAULT_SCHEDULE_LIMITS,
    documentId: id,
    nowMs: opts.now.getTime(),
    view: opts.fhirView !== false,
  });
  if (!merged.ok) return merged;
  const expectedVersion = opts.expectedVersion ?? stored.version;
  const saved = (await sql.begin(async (tx) => {
    const current = await lockSchedule(tx, id);
    return writeValidated(tx, merged.value.checked, current?.version, { ...opts, expectedVersion });
  })) as Awaited<ReturnType<typeof writeValidated>>;
  if (!saved.ok) return saved;
  return ok({ version: saved.value.version, shifts: merged.value.shifts, skipped: merged.value.skipped });
}
