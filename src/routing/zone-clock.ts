import { IANAZone } from 'luxon';

/**
 * A time zone's UTC offsets as a table, built once per zone from luxon (which reads the IANA tz
 * database through Intl), so that resolution does integer arithmetic instead of calling Intl
 * per instant. The table is built lazily per UTC year.
 *
 * Wall-clock rule used everywhere in routing (README.md "On-call schedules and routing" "Time"):
 *  - a local time that does not exist (spring-forward gap, e.g. 02:30 on the US spring day) means
 *    the first instant after the gap (03:00 local, i.e. the transition instant itself);
 *  - a local time that happens twice (fall-back) means its first occurrence (the one with the
 *    pre-transition, daylight-saving offset).
 * Both ends of every shift and window use the same rule, so consecutive intervals meet exactly:
 * no gap, no double coverage.
 */

export const MINUTE_MS = 60_000;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

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

export interface ZoneClock {
  readonly name: string;
  /** UTC offset in ms (local = utc + offset) in force at instant `t` (epoch ms). */
  offsetAt(t: number): number;
  /** Local wall-clock time of `t`, as epoch-ms-shaped "local ms" (its UTC fields are the local fields). */
  toLocal(t: number): number;
  /** Instant of a local wall-clock time, by the gap / first-occurrence rule above. */
  toInstant(localMs: number): number;
}

const clocks = new Map<string, ZoneClock>();

export const isValidZone = (name: string): boolean => IANAZone.isValidZone(name);

/** The shared clock for an IANA zone name; throws on an invalid name (validate with isValidZone first). */
export const zoneClock = (name: string): ZoneClock => {
  const cached = clocks.get(name);
  if (cached !== undefined) return cached;
  const zone = IANAZone.create(name);
  if (!zone.isValid) throw new RangeError(`invalid IANA time zone: ${name}`);
  const clock = makeClock(name, (t) => zone.offset(t) * MINUTE_MS);
  clocks.set(name, clock);
  return clock;
};

const makeClock = (name: string, luxonOffset: (t: number) => number): ZoneClock => {
  const years = new Map<number, YearTable>();
  let last: YearTable | undefined;

  const tableFor = (t: number): YearTable => {
    if (last !== undefined && t >= last.start && t < last.end) return last;
    const year = new Date(t).getUTCFullYear();
    let table = years.get(year);
    if (table === undefined) {
      table = buildYear(year, luxonOffset);
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

  /** First transition instant in (a, b], or undefined. */
  const transitionIn = (a: number, b: number): number | undefined => {
    for (const table of [tableFor(a), tableFor(b)]) {
      for (const tr of table.transitions) if (tr.at > a && tr.at <= b) return tr.at;
    }
    return undefined;
  };

  const toInstant = (localMs: number): number => {
    // The real instant is within ±14 h of localMs; offsets a day either side bracket any
    // transition near it (tz rule: at most one transition per 48 h in every zone we serve).
    const before = offsetAt(localMs - DAY_MS);
    const after = offsetAt(localMs + DAY_MS);
    const t1 = localMs - before;
    const t2 = localMs - after;
    const ok1 = offsetAt(t1) === before;
    const ok2 = offsetAt(t2) === after;
    if (ok1 && ok2) return Math.min(t1, t2); // fall-back: first occurrence
    if (ok1) return t1;
    if (ok2) return t2;
    // Spring-forward gap: the first instant after it is the transition itself.
    const gapEnd = transitionIn(Math.min(t1, t2), Math.max(t1, t2));
    return gapEnd ?? t1;
  };

  return { name, offsetAt, toLocal: (t) => t + offsetAt(t), toInstant };
};

const SECOND_MS = 1000;
const SAMPLE_MS = DAY_MS;

const buildYear = (year: number, luxonOffset: (t: number) => number): YearTable => {
  const start = Date.UTC(year, 0, 1);
  const end = Date.UTC(year + 1, 0, 1);
  const initialOffset = luxonOffset(start);
  const transitions: Transition[] = [];
  let prevT = start;
  let prevOffset = initialOffset;
  // Sample daily (~365 luxon calls, ~4 ms per zone-year), then bisect each change to the second
  // (tz transitions are on whole seconds; real zones do not change offset twice within a day).
  for (let t = start + SAMPLE_MS; t <= end; t = Math.min(t + SAMPLE_MS, end)) {
    const offset = luxonOffset(t);
    if (offset !== prevOffset) {
      let lo = prevT; // offset(lo) === prevOffset
      let hi = t; // offset(hi) === offset
      while (hi - lo > SECOND_MS) {
        const mid = lo + Math.floor((hi - lo) / 2 / SECOND_MS) * SECOND_MS || lo + SECOND_MS;
        if (luxonOffset(mid) === prevOffset) lo = mid;
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
