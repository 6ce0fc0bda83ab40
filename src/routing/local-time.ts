import { DateTime } from 'luxon';
import { DAY_MS, MINUTE_MS, type ZoneClock } from './zone-clock.js';

/**
 * Calendar arithmetic on local wall-clock values ("local ms": epoch-ms numbers whose UTC fields
 * are the local fields). No zone logic here: zones are ZoneClock's job.
 */

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

export const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;
export const YYYY_MM_DD = /^(\d{4})-(\d{2})-(\d{2})$/;
/** ISO 8601 date-time; with `Z`/offset it is an instant, without one a local time in the schedule's zone. */
export const ISO_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:?\d{2})?$/;

/** "07:00" -> 420 (minutes after local midnight). */
export const minutesOfDay = (hhmm: string): number => {
  const m = HHMM.exec(hhmm);
  if (m === null) throw new RangeError(`not HH:MM: ${hhmm}`);
  return Number(m[1]) * 60 + Number(m[2]);
};

/** "2025-03-10" -> days since 1970-01-01 (a calendar day number, zone-free). */
export const dayNumber = (date: string): number => {
  const m = YYYY_MM_DD.exec(date);
  if (m === null) throw new RangeError(`not YYYY-MM-DD: ${date}`);
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return Math.round(ms / DAY_MS);
};

/** Day number -> 0 = Monday ... 6 = Sunday (1970-01-01 was a Thursday). */
export const weekdayIndex = (day: number): number => (((day + 3) % 7) + 7) % 7;

export const localDay = (localMs: number): number => Math.floor(localMs / DAY_MS);

/** Local ms of `day` at `minutes` after midnight. */
export const localAt = (day: number, minutes: number): number => day * DAY_MS + minutes * MINUTE_MS;

const ISO_PARTS = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(Z|([+-])(\d{2}):?(\d{2}))?$/;

/**
 * ISO text -> { wall: local ms of its fields, offsetMs: its offset or null }, or null if it is
 * not a real date-time (Feb 30, 24:00...). Plain calendar arithmetic, no zone rules: this runs
 * for every shift of a year-long imported schedule, so it avoids a full ISO parser.
 */
const splitIso = (text: string): { wall: number; offsetMs: number | null } | null => {
  const m = ISO_PARTS.exec(text);
  if (m === null) return null;
  const [y, mo, d, h, mi, sec] = [m[1], m[2], m[3], m[4], m[5], m[6] ?? '0'].map(Number) as [number, number, number, number, number, number];
  const ms = Number((m[7] ?? '0').padEnd(3, '0'));
  const wall = Date.UTC(y, mo - 1, d, h, mi, sec, ms);
  const back = new Date(wall);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d || h > 23 || mi > 59 || sec > 59) return null;
  if (m[8] === undefined) return { wall, offsetMs: null };
  if (m[8] === 'Z') return { wall, offsetMs: 0 };
  const offH = Number(m[10]);
  const offM = Number(m[11]);
  if (offH > 14 || offM > 59) return null;
  return { wall, offsetMs: (m[9] === '-' ? -1 : 1) * (offH * 60 + offM) * 60_000 };
};

/** Parse a schedule instant (see ISO_DATE_TIME) to epoch ms, local ones by the clock's gap rule. */
export const parseInstant = (text: string, clock: ZoneClock): number => {
  const parts = splitIso(text);
  if (parts === null) throw new RangeError(`invalid date-time: ${text}`);
  return parts.offsetMs === null ? clock.toInstant(parts.wall) : parts.wall - parts.offsetMs;
};

export const isValidInstantText = (text: string): boolean => splitIso(text) !== null;

/** Epoch ms -> ISO 8601 in the zone with its offset, seconds precision ("2025-03-09T07:00:00-07:00"). */
export const formatInstant = (t: number, zone: string): string =>
  DateTime.fromMillis(t, { zone }).toISO({ suppressMilliseconds: true }) ?? new Date(t).toISOString();

/** Epoch ms -> "Sat 2025-03-08 07:00" in the zone, for human-readable findings. */
export const formatLocal = (t: number, zone: string): string =>
  DateTime.fromMillis(t, { zone }).toFormat('ccc yyyy-LL-dd HH:mm');
