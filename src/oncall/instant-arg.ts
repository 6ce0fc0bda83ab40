/**
 * Instants given by people (query `at=`, `--at`, `--from`): src/time's readInstant — ISO 8601 with
 * `Z` or an offset is exact; without one it is local time in the schedule's zone (RFC 5545 3.3.5,
 * as in schedule files); a bare date is local midnight. Anything else is refused, never guessed.
 */
import { DAY_MS, readInstant, type ZoneClock } from '../time/index.js';

/** Epoch ms, or undefined when the text is not an ISO 8601 date or date-time. */
export const parseInstantArg = (text: string, clock: ZoneClock): number | undefined => readInstant(text, clock, { dateOnly: true });

/** Lint and coverage look four weeks ahead unless told otherwise. */
export const DEFAULT_LOOKAHEAD_MS = 28 * DAY_MS;
/** iCalendar imports expand six months ahead unless told otherwise (recurring feeds are unbounded). */
export const DEFAULT_IMPORT_WINDOW_MS = 183 * DAY_MS;
