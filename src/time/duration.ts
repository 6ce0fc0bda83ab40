import { DAY_MS, HOUR_MS, MINUTE_MS, SECOND_MS } from './civil.js';
import type { ZoneClock } from './zone.js';

/**
 * Durations as RFC 5545 3.3.6 (and ISO 8601) write them: `P1W`, `P1D`, `PT12H`, `P1DT12H`,
 * `PT86400S`. RFC 5545 3.3.6: "The duration of a week or a day depends on its position in the
 * calendar" — days and weeks are NOMINAL (a day is the same local time the next day: 23 or 25
 * hours across a DST change), hours, minutes and seconds are EXACT (elapsed time). Used for
 * iCalendar DURATION and for schedule shifts given as start plus duration, so a shift means the
 * same instants whichever way it arrives.
 */

export interface Duration {
  /** -1 or 1. */
  readonly sign: -1 | 1;
  /** Nominal days (weeks count 7). */
  readonly days: number;
  /** Exact milliseconds (hours, minutes, seconds). */
  readonly ms: number;
}

// Each component at most 9 digits (so the numbers stay exact); weeks stand alone (RFC 5545 dur-week).
const DURATION = /^([+-])?P(?:(\d{1,9})W|(?:(\d{1,9})D)?(?:T(?:(\d{1,9})H)?(?:(\d{1,9})M)?(?:(\d{1,9})S)?)?)$/;

/** The duration `text` names, or undefined when it is not an RFC 5545 / ISO 8601 duration. */
export const readDuration = (text: string): Duration | undefined => {
  const m = DURATION.exec(text);
  if (m === null) return undefined;
  const [, sign, w, d, h, mi, s] = m;
  if (w === undefined && d === undefined && h === undefined && mi === undefined && s === undefined) return undefined;
  if (text.includes('T') && h === undefined && mi === undefined && s === undefined) return undefined; // "P1DT"
  const n = (x: string | undefined): number => (x === undefined ? 0 : Number(x));
  return {
    sign: sign === '-' ? -1 : 1,
    days: n(w) * 7 + n(d),
    ms: n(h) * HOUR_MS + n(mi) * MINUTE_MS + n(s) * SECOND_MS,
  };
};

/**
 * `t` plus a duration in `clock`'s zone: the nominal days on the local calendar first (the local
 * time is kept, read by the RFC 5545 3.3.5 rule), then the exact part as elapsed time.
 */
export const addDuration = (t: number, d: Duration, clock: ZoneClock): number => {
  const afterDays = d.days === 0 ? t : clock.toInstant(clock.toLocal(t) + d.sign * d.days * DAY_MS);
  return afterDays + d.sign * d.ms;
};
