/**
 * Instants given by people (query `at=`, `--at`, `--from`): ISO 8601 with `Z` or an offset is
 * exact; without one it is local time in the schedule's zone (same gap / first-occurrence rule as
 * the schedule file); a bare date is local midnight. Anything else is refused, never guessed.
 */
import { parseInstant, type ZoneClock } from '../routing/index.js';

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/** Epoch ms, or undefined when the text is not an ISO 8601 date or date-time. */
export const parseInstantArg = (text: string, clock: ZoneClock): number | undefined => {
  const t = text.trim();
  try {
    return parseInstant(DATE_ONLY.test(t) ? `${t}T00:00` : t, clock);
  } catch {
    // parseInstant reports bad text by throwing RangeError; this is the boundary that makes it data
    return undefined;
  }
};

/** Default ranges, ms. */
export const DAY_MS = 24 * 3_600_000;
/** Lint and coverage look four weeks ahead unless told otherwise. */
export const DEFAULT_LOOKAHEAD_MS = 28 * DAY_MS;
/** iCalendar imports expand six months ahead unless told otherwise (recurring feeds are unbounded). */
export const DEFAULT_IMPORT_WINDOW_MS = 183 * DAY_MS;
