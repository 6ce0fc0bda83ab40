/**
 * Dates and times, one rule for the whole gateway (pure: no clock is read here).
 *  - civil.ts: which dates and clock times exist (no 2024-02-30, no 2024-00-15, no hour 24);
 *  - zone.ts: IANA zones; a local time in a DST gap is read with the offset before the gap, an
 *    ambiguous one is its first occurrence (RFC 5545 3.3.5);
 *  - iso.ts, hl7-dtm.ts, duration.ts: the readers of ISO 8601 / FHIR date-times, HL7 v2 DTM and
 *    RFC 5545 durations; format.ts: the writers.
 * Used by src/mapping (HL7 times), src/routing (schedules, iCalendar), src/fhir (date search
 * parameters) and src/oncall and the CLI (instants people type).
 */
export {
  DAY_MS, HOUR_MS, MINUTE_MS, SECOND_MS, WEEKDAYS, HHMM, YYYY_MM_DD,
  isValidDate, isValidClock, isValidOffset, daysInMonth, isLeapYear,
  wallTime, wallFields, wallDay, wallAt, weekdayIndex, readHhmm, readDate,
} from './civil.js';
export type { Weekday, WallFields } from './civil.js';
export { zoneClock, isValidZone, canonicalZone } from './zone.js';
export type { ZoneClock } from './zone.js';
export { readIsoDateTime, instantOf, isInstantText, readInstant } from './iso.js';
export type { IsoDateTime, IsoOptions, IsoPrecision } from './iso.js';
export { readHl7Time, hl7Wall, hl7OffsetMinutes } from './hl7-dtm.js';
export type { Hl7Time } from './hl7-dtm.js';
export { readDuration, addDuration } from './duration.js';
export type { Duration } from './duration.js';
export { formatInstant, formatLocal, formatOffset, offsetOfWall } from './format.js';
