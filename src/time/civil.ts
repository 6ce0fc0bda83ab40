/**
 * The proleptic Gregorian calendar and wall-clock values, with no time zone. A "wall" value is an
 * epoch-ms-shaped number whose UTC fields are the local fields (2025-03-09 02:30 local is
 * Date.UTC(2025, 2, 9, 2, 30) whatever the zone): calendar arithmetic on it is plain integer
 * arithmetic, and zones are ZoneClock's job (zone.ts).
 *
 * Which dates and clock times exist is decided here, once, for every reader (HL7 DTM, ISO 8601,
 * FHIR dateTime, schedule HH:MM):
 *  - years 0001-9999 (year 0000 does not exist in FHIR's dateTime, and HL7 DTM never carried it);
 *  - months 01-12, days 01 up to the month's length (2024-02-29 yes, 2023-02-29 and 2024-00-15 no);
 *  - hours 00-23, minutes and seconds 00-59. Hour 24 is refused: FHIR R4's dateTime pattern
 *    (`[01][0-9]|2[0-3]`), HL7 v2 DTM (2.A.22 "HH" 00-23) and RFC 5545 3.3.12 (time-hour 00-23)
 *    all exclude it, so accepting "24:00" in one reader would make the readers disagree again. A
 *    schedule window that ends at midnight is written `end == start` or `00:00` (wraps to the next
 *    day), never 24:00. A leap second (:60, which FHIR and RFC 5545 allow) is refused as well:
 *    epoch milliseconds cannot hold it, and moving it silently would change the instant.
 */

export const SECOND_MS = 1000;
export const MINUTE_MS = 60 * SECOND_MS;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

export const MIN_YEAR = 1;
export const MAX_YEAR = 9999;

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] as const;

export const isLeapYear = (y: number): boolean => y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);

/** Days in month `m` (1-12) of year `y`. */
export const daysInMonth = (y: number, m: number): number => (m === 2 && isLeapYear(y) ? 29 : (MONTH_DAYS[m - 1] ?? 0));

/** A real calendar date: year 1-9999, month 1-12, day within the month. */
export const isValidDate = (y: number, m: number, d: number): boolean =>
  Number.isInteger(y) && Number.isInteger(m) && Number.isInteger(d) &&
  y >= MIN_YEAR && y <= MAX_YEAR && m >= 1 && m <= 12 && d >= 1 && d <= daysInMonth(y, m);

/** A real clock time: hour 0-23, minute and second 0-59 (see the header for 24:00 and :60). */
export const isValidClock = (h: number, mi: number, s = 0): boolean =>
  Number.isInteger(h) && Number.isInteger(mi) && Number.isInteger(s) && h >= 0 && h <= 23 && mi >= 0 && mi <= 59 && s >= 0 && s <= 59;

/**
 * A UTC offset an ISO 8601, FHIR or HL7 time may carry: up to 14 hours (Pacific/Kiritimati is
 * +14:00, the largest in use) and 59 minutes.
 */
export const isValidOffset = (hours: number, minutes: number): boolean =>
  Number.isInteger(hours) && Number.isInteger(minutes) && hours >= 0 && hours <= 14 && minutes >= 0 && minutes <= 59;

/**
 * Wall ms of a calendar date and clock time (fields are not checked: validate first). Date.UTC
 * reads years 0-99 as 1900-1999, so the year is set apart.
 */
export const wallTime = (y: number, mo: number, d: number, h = 0, mi = 0, s = 0, ms = 0): number => {
  if (y >= 100) return Date.UTC(y, mo - 1, d, h, mi, s, ms);
  const date = new Date(Date.UTC(2000, mo - 1, d, h, mi, s, ms));
  date.setUTCFullYear(y);
  return date.getTime();
};

export interface WallFields {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly hour: number;
  readonly minute: number;
  readonly second: number;
  readonly millisecond: number;
}

/** The calendar fields of a wall value. */
export const wallFields = (wall: number): WallFields => {
  const d = new Date(wall);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
    millisecond: d.getUTCMilliseconds(),
  };
};

/** Days since 1970-01-01 of a wall value's date (a zone-free calendar day number). */
export const wallDay = (wall: number): number => Math.floor(wall / DAY_MS);

/** Wall ms of calendar day `day` at `minutes` after midnight. */
export const wallAt = (day: number, minutes: number): number => day * DAY_MS + minutes * MINUTE_MS;

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** Day number -> 0 = Monday ... 6 = Sunday (1970-01-01 was a Thursday). */
export const weekdayIndex = (day: number): number => (((day + 3) % 7) + 7) % 7;

/** `HH:MM`, 00:00-23:59. */
export const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;
/** `YYYY-MM-DD` (shape only; readDate checks the calendar). */
export const YYYY_MM_DD = /^(\d{4})-(\d{2})-(\d{2})$/;

/** "07:00" -> 420 (minutes after midnight); undefined when it is not a clock time. */
export const readHhmm = (text: string): number | undefined => {
  const m = HHMM.exec(text);
  return m === null ? undefined : Number(m[1]) * 60 + Number(m[2]);
};

/** "2025-03-10" -> its day number; undefined when it is not a real calendar date. */
export const readDate = (text: string): number | undefined => {
  const m = YYYY_MM_DD.exec(text);
  if (m === null) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return isValidDate(y, mo, d) ? wallDay(wallTime(y, mo, d)) : undefined;
};
