/**
 * Merging an iCalendar feed into a schedule: the feed's shifts become the top layer (`ical` by
 * default) of each role they name, replacing that layer's previous import (withImportedShifts).
 * Shifts for a role the schedule does not have are reported in `skipped`, not dropped silently.
 */
import type { Sql } from '../store/index.js';
import { err, importICalendar, ok, withImportedShifts, type Issue, type Result, type Schedule } from '../routing/index.js';
import { fromRoutingError, storeError, type ScheduleStoreError } from './errors.js';
import { DEFAULT_SCHEDULE_ID, loadSchedule, saveSchedule } from './schedule-store.js';

export interface MergeOptions {
  /** Occurrences starting in [from, to) are imported, epoch ms. */
  readonly from: number;
  readonly to: number;
  /** Layer id the shifts go into; default `ical`. */
  readonly layer?: string | undefined;
}

export interface Merged {
  readonly schedule: Schedule;
  readonly shifts: number;
  readonly skipped: readonly Issue[];
}

export const mergeICalendar = (schedule: Schedule, ics: string, mapping: unknown, opts: MergeOptions): Result<Merged, ScheduleStoreError> => {
  const imported = importICalendar(ics, mapping, { from: opts.from, to: opts.to, defaultTimeZone: schedule.timeZone });
  if (!imported.ok) return err(fromRoutingError(imported.error));
  const roles = new Set(schedule.roles.map((r) => r.id));
  const unknown = imported.value.shifts.filter((s) => !roles.has(s.role));
  const skipped: Issue[] = [
    ...imported.value.skipped,
    ...unknown.map((s) => ({ path: `event ${s.uid}`, message: `role '${s.role}' is not in the schedule` })),
  ];
  return ok({
    schedule: withImportedShifts(schedule, imported.value, opts.layer ?? 'ical'),
    shifts: imported.value.shifts.length - unknown.length,
    skipped,
  });
};

export interface ImportOptions extends MergeOptions {
  readonly id?: string;
  /** The version the caller read; default: the version loaded here (a concurrent save is a conflict). */
  readonly expectedVersion?: number | undefined;
  readonly by: string | null;
  readonly now: Date;
}

/** Loads the stored schedule, merges the feed, saves (validated, compiled, version-checked). */
export async function importCalendarIntoStore(
  sql: Sql,
  ics: string,
  mapping: unknown,
  opts: ImportOptions,
): Promise<Result<{ version: number; shifts: number; skipped: readonly Issue[] }, ScheduleStoreError>> {
  const id = opts.id ?? DEFAULT_SCHEDULE_ID;
  const stored = await loadSchedule(sql, id);
  if (stored === undefined) return err(storeError('ERR_SCHEDULE_NOT_FOUND', `no schedule '${id}' is stored: import a JSON/YAML schedule first`));
  const merged = mergeICalendar(stored.schedule, ics, mapping, opts);
  if (!merged.ok) return merged;
  const saved = await saveSchedule(sql, merged.value.schedule, { id, expectedVersion: opts.expectedVersion ?? stored.version, by: opts.by, now: opts.now });
  if (!saved.ok) return saved;
  return ok({ version: saved.value.version, shifts: merged.value.shifts, skipped: merged.value.skipped });
}
