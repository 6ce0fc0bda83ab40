import { IANAZone } from 'luxon';
import { DAY_MS, MINUTE_MS, SECOND_MS, wallTime } from './civil.js';

/**
 * Time zones: the one place where a wall-clock time becomes an instant and back.
 *
 * Offsets come from the IANA tz database through Intl (read with luxon's IANAZone), built once
 * per zone and UTC year into a table of transitions, so that conversions are integer arithmetic.
 * Offsets are whole minutes (truncated toward zero): what an ISO 8601 / FHIR / HL7 offset can say.
 * Only pre-1900 local mean times have seconds in their offset.
 *
 * The rule for local times that do not name exactly one instant is RFC 5545 3.3.5 ("DATE-TIME",
 * form #3, local time with a time zone reference), used for every local time the gateway reads:
 *  - a local time inside a gap (spring forward) is read with the UTC offset in effect BEFORE the
 *    gap: 02:30 on 2025-03-09 in New York is 02:30-05:00 = 07:30Z, i.e. 03:30 EDT;
 *  - an ambiguous local time (fall back) is its FIRST occurrence: 01:30 on 2025-11-02 in New York
 *    is 01:30-04:00 = 05:30Z.
 * Note that the first rule is not monotonic inside the gap: 02:30 (07:30Z) is later than 03:00
 * (07:00Z). A local interval that starts in a gap and ends right after it is therefore empty or
 * reversed; callers treat an interval whose end is not after its start as empty.
 */

export interface ZoneClock {
  /** The zone's canonical IANA name (`America/New_York`). */
  readonly name: string;
  /** UTC offset in ms (local = utc + offset) in force at instant `t` (epoch ms). */
  offsetAt(t: number): number;
  /** The wall-clock value (see civil.ts) of instant `t` in this zone. */
  toLocal(t: number): number;
  /** The instant of a wall-clock value, by the RFC 5545 rule above. */
  toInstant(wall: number): number;
}

interface Transition {
  readonly at: number;
  /** Offset in ms in force from `at` on. */
  readonly offset: number;
}

interface YearTable {
  readonly start: number;
  readonly end: number;
  readonly initialOffset: number;
  readonly transitions: readonly Transition[];
}

/** At most this many zone names are remembered as valid or not (names may come from outside text). */
const VALIDITY_CACHE_MAX = 1024;
const validity = new Map<string, string | null>();
const clocks = new Map<string, ZoneClock>();

/**
 * The canonical IANA name of `name` (Intl is case-insensitive: `america/new_york` is
 * `America/New_York`), or undefined when it names no zone. Offsets like `+05:00` are not zones.
 * Cached: luxon's check builds an Intl formatter (about 0.7 ms) per call.
 */
export const canonicalZone = (name: string): string | undefined => {
  const hit = validity.get(name);
  if (hit !== undefined) return hit ?? undefined;
  let canonical: string | null = null;
  if (name.length <= 64 && IANAZone.isValidZone(name)) {
    canonical = new Intl.DateTimeFormat('en-US', { timeZone: name }).resolvedOptions().timeZone;
  }
  if (validity.size >= VALIDITY_CACHE_MAX) validity.clear();
  validity.set(name, canonical);
  return canonical ?? undefined;
};

export const isValidZone = (name: string): boolean => canonicalZone(name) !== undefined;

/** The shared clock of an IANA zone; throws RangeError on an invalid name (check with isValidZone first). */
export const zoneClock = (name: string): ZoneClock => {
  const cached = clocks.get(name);
  if (cached !== undefined) return cached;
  const canonical = canonicalZone(name);
  if (canonical === undefined) throw new RangeError('not an IANA time zone');
  let clock = clocks.get(canonical);
  if (clock === undefined) {
    const zone = IANAZone.create(canonical);
    clock = makeClock(canonical, (t) => Math.trunc(zone.offset(t)) * MINUTE_MS);
    clocks.set(canonical, clock);
  }
  // case variants of one zone share its clock; the map holds at most the variants ever validated
  if (clocks.size < VALIDITY_CACHE_MAX) clocks.set(name, clock);
  return clock;
};

const makeClock = (name: string, tzOffset: (t: number) => number): ZoneClock => {
  const years = new Map<number, YearTable>();
  let last: YearTable | undefined;

  const tableFor = (t: number): YearTable => {
    if (last !== undefined && t >= last.start && t < last.end) return last;
    const year = new Date(t).getUTCFullYear();
    let table = years.get(year);
    if (table === undefined) {
      table = buildYear(year, tzOffset);
      years.set(year, table);
    }
    last = table;
    return table;
  };

  const offsetAt = (t: number): number => {
    const table = tableFor(t);
    let offset = table.initialOffset;
    for (const tr of table.transitions) {
      if (t >= tr.at) offset = tr.offset;
      else break;
    }
    return offset;
  };

  const toInstant = (wall: number): number => {
    // The instant is within ±14 h of the wall value; the offsets a day either side bracket any
    // transition near it (tz: no zone changes its offset twice within 48 hours).
    const before = offsetAt(wall - DAY_MS);
    const after = offsetAt(wall + DAY_MS);
    if (before === after) return wall - before;
    const t1 = wall - before;
    const t2 = wall - after;
    const ok1 = offsetAt(t1) === before;
    const ok2 = offsetAt(t2) === after;
    if (ok1 && ok2) return Math.min(t1, t2); // RFC 5545 3.3.5: an ambiguous time is its first occurrence
    if (ok2) return t2;
    // ok1 alone, or neither: neither means a gap, read with the offset before it (RFC 5545 3.3.5)
    return t1;
  };

  return { name, offsetAt, toLocal: (t) => t + offsetAt(t), toInstant };
};

const buildYear = (year: number, tzOffset: (t: number) => number): YearTable => {
  const start = wallTime(year, 1, 1);
  const end = wallTime(year + 1, 1, 1);
  const initialOffset = tzOffset(start);
  const transitions: Transition[] = [];
  let prevT = start;
  let prevOffset = initialOffset;
  // Sample daily (~365 offset reads, ~4 ms per zone-year), then bisect each change to the second
  // (tz transitions are on whole seconds; real zones do not change offset twice within a day).
  for (let t = start + DAY_MS; t <= end; t = Math.min(t + DAY_MS, end)) {
    const offset = tzOffset(t);
    if (offset !== prevOffset) {
      let lo = prevT; // offset(lo) === prevOffset
      let hi = t; // offset(hi) === offset
      while (hi - lo > SECOND_MS) {
        const mid = lo + Math.floor((hi - lo) / 2 / SECOND_MS) * SECOND_MS || lo + SECOND_MS;
        if (tzOffset(mid) === prevOffset) lo = mid;
        else hi = mid;
      }
      if (hi < end) transitions.push({ at: hi, offset });
      prevOffset = offset;
    }
    prevT = t;
    if (t === end) break;
  }
  return { start, end, initialOffset, transitions };
};
