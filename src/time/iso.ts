import { isValidClock, isValidDate, isValidOffset, MINUTE_MS, wallTime } from './civil.js';
import type { ZoneClock } from './zone.js';

/**
 * ISO 8601 date and date-time text, as FHIR (R4 datatypes.html#dateTime), schedule files and
 * people (`--at`, `?at=`) write it: `YYYY[-MM[-DD[Thh:mm[:ss[.f]][Z|±hh:mm]]]]`. One reader for
 * all of them, so they agree on what exists (civil.ts) and on local times (zone.ts, RFC 5545).
 */

export type IsoPrecision = 'year' | 'month' | 'day' | 'minute' | 'second';

export interface IsoDateTime {
  readonly precision: IsoPrecision;
  /** Wall ms of the fields given (missing month/day are the first, missing time is midnight). */
  readonly wall: number;
  /** Fraction-of-second digits as written (`''` when none). */
  readonly fraction: string;
  /** The offset written, in minutes east of UTC; undefined when the text names no zone. */
  readonly offsetMinutes: number | undefined;
}

export interface IsoOptions {
  /** Also accept `±hhmm` offsets (no colon), as schedule files always have. FHIR needs the colon. */
  readonly compactOffset?: boolean;
  /** Most fraction digits accepted (default 9). */
  readonly maxFractionDigits?: number;
}

// A zone only after a time (FHIR R4 dateTime); lengths are fixed, so the match is linear.
const ISO =
  /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:\d{2}|[+-]\d{4})?)?)?)?$/;

/** The parts of an ISO 8601 date or date-time; undefined when it is not one or names no real date/time. */
export const readIsoDateTime = (text: string, opts: IsoOptions = {}): IsoDateTime | undefined => {
  if (text.length > 40) return undefined;
  const m = ISO.exec(text);
  if (m === null) return undefined;
  const [, ys, mos, ds, hs, mis, ss, frac = '', zone] = m;
  const y = Number(ys);
  const mo = mos === undefined ? 1 : Number(mos);
  const d = ds === undefined ? 1 : Number(ds);
  if (!isValidDate(y, mo, d)) return undefined;
  const h = hs === undefined ? 0 : Number(hs);
  const mi = mis === undefined ? 0 : Number(mis);
  const s = ss === undefined ? 0 : Number(ss);
  if (!isValidClock(h, mi, s)) return undefined;
  if (frac.length > (opts.maxFractionDigits ?? 9)) return undefined;
  let offsetMinutes: number | undefined;
  if (zone === 'Z') offsetMinutes = 0;
  else if (zone !== undefined) {
    if (zone.length === 5 && opts.compactOffset !== true) return undefined;
    const oh = Number(zone.slice(1, 3));
    const om = Number(zone.slice(-2));
    if (!isValidOffset(oh, om)) return undefined;
    offsetMinutes = (zone.startsWith('-') ? -1 : 1) * (oh * 60 + om);
  }
  const precision: IsoPrecision = ss !== undefined ? 'second' : hs !== undefined ? 'minute' : ds !== undefined ? 'day' : mos !== undefined ? 'month' : 'year';
  const ms = frac === '' ? 0 : Number(frac.slice(0, 3).padEnd(3, '0'));
  return { precision, wall: wallTime(y, mo, d, h, mi, s, ms), fraction: frac, offsetMinutes };
};

/** The instant a read date-time names: exact with an offset, else local in `clock` (RFC 5545 3.3.5). */
export const instantOf = (t: IsoDateTime, clock: ZoneClock): number =>
  t.offsetMinutes === undefined ? clock.toInstant(t.wall) : t.wall - t.offsetMinutes * MINUTE_MS;

const INSTANT_OPTIONS: IsoOptions = { compactOffset: true, maxFractionDigits: 3 };

/**
 * A date-time as schedule files write it (`2025-03-09T07:00`, `2025-03-09T07:00:00-05:00`): at
 * least minutes, at most milliseconds. True when it names a real date and time.
 */
export const isInstantText = (text: string): boolean => {
  const t = readIsoDateTime(text, INSTANT_OPTIONS);
  return t !== undefined && (t.precision === 'minute' || t.precision === 'second');
};

/**
 * Epoch ms of an instant written by a person or a schedule file: with `Z` or an offset it is
 * exact; without one it is a local time in `clock`'s zone by RFC 5545 3.3.5; with `dateOnly`, a
 * bare date is local midnight. Undefined for anything else: never guessed.
 */
export const readInstant = (text: string, clock: ZoneClock, opts: { readonly dateOnly?: boolean } = {}): number | undefined => {
  const t = readIsoDateTime(text.trim(), INSTANT_OPTIONS);
  if (t === undefined) return undefined;
  const ok = t.precision === 'minute' || t.precision === 'second' || (t.precision === 'day' && opts.dateOnly === true);
  return ok ? instantOf(t, clock) : undefined;
};
