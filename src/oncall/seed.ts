/**
 * SCHEDULE_FILE at gateway start: the file seeds the store only when no schedule is stored yet.
 * Afterwards the stored document (edited through the API) is the truth; the file is not re-read,
 * so a restart never undoes an edit made through the API.
 */
import { readFile } from 'node:fs/promises';
import type { Sql } from '../store/index.js';
import { err, ok, parseScheduleFile, type Result } from '../routing/index.js';
import { fromRoutingError, type ScheduleStoreError } from './errors.js';
import { DEFAULT_SCHEDULE_ID, saveSchedule, storedVersion, type SaveOptions } from './schedule-store.js';

export type SeedOutcome = { readonly seeded: true; readonly version: number } | { readonly seeded: false; readonly version: number };

export async function seedScheduleFromFile(
  sql: Sql,
  path: string,
  now: Date,
  id = DEFAULT_SCHEDULE_ID,
  run: Pick<SaveOptions, 'jobs' | 'limits'> = {},
): Promise<Result<SeedOutcome, ScheduleStoreError>> {
  const existing = await storedVersion(sql, id);
  if (existing !== undefined) return ok({ seeded: false, version: existing });
  // the file is read (and validated) only when it will be used; a bad file is then a start-up error
  const parsed = parseScheduleFile(await readFile(path, 'utf8'), path);
  if (!parsed.ok) return err(fromRoutingError(parsed.error));
  const saved = await saveSchedule(sql, parsed.value, { id, expectedVersion: 0, by: 'SCHEDULE_FILE', now, ...run });
  if (saved.ok) return ok({ seeded: true, version: saved.value.version });
  // another replica seeded it first: fine, theirs is the same file
  if (saved.error.code === 'ERR_SCHEDULE_CONFLICT') return ok({ seeded: false, version: (await storedVersion(sql, id)) ?? 0 });
  return saved;
}
