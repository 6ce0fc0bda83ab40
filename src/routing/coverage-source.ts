import { DAY_MS, readDate, readHhmm, wallAt, wallDay, weekdayIndex, WEEKDAYS, type ZoneClock } from '../time/index.js';
import { intervalOf } from './intervals.js';
import type { CoverageEntry, Rotation, WeeklyWindow } from './schedule-schema.js';
import { findSegment, flatten, segmentBoundaries, type Segments } from './segments.js';

/**
 * A layer or backup entry compiled for O(1)/O(log n) lookup: who it puts on call at an instant,
 * and the instants where that can change (for coverage timelines). Every local time is read in
 * the zone of the item that holds it (a rotation's or an entry's own `timeZone`, else the
 * schedule's), so one role can be covered from Berlin by day and from New York by night.
 */

export type Provenance =
  | {
      readonly kind: 'rotation';
      readonly rotation: string;
      readonly shift: number;
      /** `per-period`: calendar turns of `periodDays` days; `per-window`: one turn per window instance. */
      readonly advance: 'per-period' | 'per-window';
      readonly periodDays: number;
    }
  | { readonly kind: 'fixed' }
  | { readonly kind: 'shift'; readonly index: number };

export interface Hit {
  readonly practitioner: string;
  /** The source interval (shift ∩ window instance) containing the instant, half-open. */
  readonly start: number;
  readonly end: number;
  readonly provenance: Provenance;
}

export interface CompiledCoverage {
  readonly id: string;
  readonly name: string | undefined;
  readonly windows: readonly WeeklyWindow[] | undefined;
  at(t: number): Hit | null;
  /** Instants in (from, to) where `at` may change value. */
  boundaries(from: number, to: number): number[];
}

interface Source {
  at(t: number): Hit | null;
  boundaries(from: number, to: number): number[];
}

const NOBODY: Source = { at: () => null, boundaries: () => [] };

const PERIOD_DAYS = { day: 1, week: 7 } as const;

/** Day number of a validated YYYY-MM-DD (the schema refuses anything else). */
const dayOf = (date: string): number => readDate(date) ?? Number.NaN;
/** Minutes of a validated HH:MM. */
const minutesOf = (hhmm: string): number => readHhmm(hhmm) ?? Number.NaN;

export const compileRotation = (rot: Rotation, clock: ZoneClock): Source =>
  rot.advance === 'per-window' ? compileWindowTurns(rot, clock) : compileCalendarTurns(rot, clock);

/**
 * Calendar turns: shift k (k >= 0) covers [handoff(k), handoff(k+1)) with
 * handoff(k) = local (startDate + k * period) at handoffTime, so a weekly shift is 167 or 169
 * real hours across DST; participant = participants[k mod n]. Before handoff(0): nobody.
 */
const compileCalendarTurns = (rot: Rotation, clock: ZoneClock): Source => {
  const periodDays = (rot.period?.count ?? 1) * PERIOD_DAYS[rot.period?.unit ?? 'day'];
  const startDay = dayOf(rot.startDate);
  const handoffMin = minutesOf(rot.handoffTime ?? '00:00');
  const n = rot.participants.length;
  const handoff = (k: number): number => clock.toInstant(wallAt(startDay + k * periodDays, handoffMin));
  const origin = wallAt(startDay, handoffMin);
  const shiftIndex = (t: number): number => {
    // O(1): estimate from local-date arithmetic, then correct by at most one step each way.
    let k = Math.floor((clock.toLocal(t) - origin) / (periodDays * DAY_MS));
    while (handoff(k) > t) k--;
    while (handoff(k + 1) <= t) k++;
    return k;
  };
  return {
    at(t) {
      if (n === 0) return null;
      const k = shiftIndex(t);
      if (k < 0) return null;
      const practitioner = rot.participants[k % n];
      if (practitioner === undefined) return null;
      return { practitioner, start: handoff(k), end: handoff(k + 1), provenance: { kind: 'rotation', rotation: rot.id, shift: k, advance: 'per-period', periodDays } };
    },
    boundaries(from, to) {
      const out: number[] = [];
      for (let k = Math.max(0, shiftIndex(from) + 1); ; k++) {
        const h = handoff(k);
        if (h >= to) break;
        if (h > from) out.push(h);
      }
      return out;
    },
  };
};

interface CompiledWindow {
  readonly days: ReadonlySet<number>;
  readonly startMin: number;
  readonly endMin: number;
  /** 1 when the window runs past midnight (end <= start; end == start is 24 h). */
  readonly span: 0 | 1;
}

const compileWindow = (w: WeeklyWindow): CompiledWindow => {
  const startMin = minutesOf(w.start);
  const endMin = minutesOf(w.end);
  return { days: new Set(w.days.map((d) => WEEKDAYS.indexOf(d))), startMin, endMin, span: endMin <= startMin ? 1 : 0 };
};

/** [start, end) of the window instance starting on local `day`; empty (end <= start) inside a DST gap. */
const instanceOf = (w: CompiledWindow, clock: ZoneClock, day: number): [number, number] => [
  clock.toInstant(wallAt(day, w.startMin)),
  clock.toInstant(wallAt(day + w.span, w.endMin)),
];

/** Window instances that may contain t start on t's local day or the day before (a window spans at most 24 h). */
const windowAt = (ws: readonly CompiledWindow[], clock: ZoneClock, t: number): [number, number] | null => {
  const d = wallDay(clock.toLocal(t));
  for (let day = d - 1; day <= d + 1; day++) {
    const wd = weekdayIndex(day);
    for (const w of ws) {
      if (!w.days.has(wd)) continue;
      const [s, e] = instanceOf(w, clock, day);
      if (s <= t && t < e) return [s, e];
    }
  }
  return null;
};

const windowBoundaries = (ws: readonly CompiledWindow[], clock: ZoneClock, from: number, to: number): number[] => {
  const out: number[] = [];
  const last = wallDay(clock.toLocal(to)) + 1;
  for (let day = wallDay(clock.toLocal(from)) - 1; day <= last; day++) {
    const wd = weekdayIndex(day);
    for (const w of ws) {
      if (!w.days.has(wd)) continue;
      for (const b of instanceOf(w, clock, day)) if (b > from && b < to) out.push(b);
    }
  }
  return out;
};

/**
 * Window turns: the rotation's weekly windows, each instance from startDate on is one turn, in the
 * order the instances start (local time); turn k goes to participants[k mod n] and covers exactly
 * its window instance. Days without a window use no turn, so Monday-Friday windows give one
 * person per working day and the weekend moves nobody along. Where two of the rotation's own
 * windows overlap, the instance that started later holds the time.
 */
const compileWindowTurns = (rot: Rotation, clock: ZoneClock): Source => {
  // One slot per (weekday, window), ordered by local start within the week.
  const slots = (rot.windows ?? [])
    .flatMap((w) => {
      const c = compileWindow(w);
      return [...c.days].map((weekday) => ({ weekday, w: c }));
    })
    .sort((a, b) => a.weekday - b.weekday || a.w.startMin - b.w.startMin);
  const perWeek = slots.length;
  const n = rot.participants.length;
  /** Monday-based week number of a day number (day 0, 1970-01-01, was a Thursday). */
  const weekNo = (day: number): number => Math.floor((day + 3) / 7);
  const startDay = dayOf(rot.startDate);
  const firstOrdinal = weekNo(startDay) * perWeek + slots.filter((s) => s.weekday < weekdayIndex(startDay)).length;
  /** The turn of the instance of slots[j] starting on `day`. */
  const turnOf = (day: number, j: number): number => weekNo(day) * perWeek + j - firstOrdinal;

  const instanceAt = (t: number): { turn: number; start: number; end: number } | null => {
    const d = wallDay(clock.toLocal(t));
    let best: { turn: number; start: number; end: number } | null = null;
    for (let day = d - 1; day <= d + 1; day++) {
      const wd = weekdayIndex(day);
      for (let j = 0; j < perWeek; j++) {
        const slot = slots[j];
        if (slot === undefined || slot.weekday !== wd) continue;
        const [s, e] = instanceOf(slot.w, clock, day);
        if (s <= t && t < e && (best === null || s >= best.start)) best = { turn: turnOf(day, j), start: s, end: e };
      }
    }
    return best;
  };

  return {
    at(t) {
      if (n === 0 || perWeek === 0) return null;
      const hit = instanceAt(t);
      if (hit === null || hit.turn < 0) return null;
      const practitioner = rot.participants[hit.turn % n];
      if (practitioner === undefined) return null;
      return { practitioner, start: hit.start, end: hit.end, provenance: { kind: 'rotation', rotation: rot.id, shift: hit.turn, advance: 'per-window', periodDays: 0 } };
    },
    boundaries(from, to) {
      const out: number[] = [];
      const last = wallDay(clock.toLocal(to)) + 1;
      for (let day = Math.max(startDay, wallDay(clock.toLocal(from)) - 1); day <= last; day++) {
        const wd = weekdayIndex(day);
        for (const slot of slots) {
          if (slot.weekday !== wd) continue;
          for (const b of instanceOf(slot.w, clock, day)) if (b > from && b < to) out.push(b);
        }
      }
      return out;
    },
  };
};

const compileFixed = (practitioner: string): Source => ({
  at: () => ({ practitioner, start: -Infinity, end: Infinity, provenance: { kind: 'fixed' } }),
  boundaries: () => [],
});

export const compileShifts = (shifts: readonly { practitioner: string; start: number; end: number }[]): Source => {
  const { segments } = flatten(shifts.map((s, i) => ({ start: s.start, end: s.end, value: s.practitioner, rank: i })));
  return {
    at(t) {
      const seg = findSegment(segments, t);
      return seg === undefined ? null : { practitioner: seg.value, start: seg.start, end: seg.end, provenance: { kind: 'shift', index: seg.rank } };
    },
    boundaries: (from, to) => segmentBoundaries(segments as Segments<string>, from, to),
  };
};

/** A layer or backup: its source restricted to its weekly windows (if any), both in `clock`'s zone. */
export const compileCoverage = (
  entry: CoverageEntry,
  rotations: ReadonlyMap<string, Source>,
  clock: ZoneClock,
): CompiledCoverage => {
  const source: Source =
    entry.rotation !== undefined
      ? (rotations.get(entry.rotation) ?? NOBODY)
      : entry.practitioner !== undefined
        ? compileFixed(entry.practitioner)
        : compileShifts((entry.shifts ?? []).map((s) => ({ practitioner: s.practitioner, ...intervalOf(s, clock) })));
  const windows = entry.windows?.map(compileWindow);
  return {
    id: entry.id,
    name: entry.name,
    windows: entry.windows,
    at(t) {
      if (windows === undefined) return source.at(t);
      const w = windowAt(windows, clock, t);
      if (w === null) return null;
      const hit = source.at(t);
      if (hit === null) return null;
      return { ...hit, start: Math.max(hit.start, w[0]), end: Math.min(hit.end, w[1]) };
    },
    boundaries(from, to) {
      const b = source.boundaries(from, to);
      return windows === undefined ? b : b.concat(windowBoundaries(windows, clock, from, to));
    },
  };
};

export type { Source as CoverageSource };
