import { dayNumber, localAt, localDay, minutesOfDay, parseInstant, weekdayIndex, WEEKDAYS } from './local-time.js';
import type { CoverageEntry, Rotation, WeeklyWindow } from './schedule-schema.js';
import { findSegment, flatten, segmentBoundaries, type Segments } from './segments.js';
import { DAY_MS, type ZoneClock } from './zone-clock.js';

/**
 * A layer or backup entry compiled for O(1)/O(log n) lookup: who it puts on call at an instant,
 * and the instants where that can change (for coverage timelines).
 */

export type Provenance =
  | { readonly kind: 'rotation'; readonly rotation: string; readonly shift: number; readonly periodDays: number }
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

const PERIOD_DAYS = { day: 1, week: 7 } as const;

/**
 * Rotation rule: shift k (k >= 0) covers [handoff(k), handoff(k+1)) with
 * handoff(k) = local (startDate + k * period) at handoffTime, so a weekly shift is 167 or 169
 * real hours across DST; participant = participants[k mod n]. Before handoff(0): nobody.
 */
export const compileRotation = (rot: Rotation, clock: ZoneClock): Source => {
  const periodDays = rot.period.count * PERIOD_DAYS[rot.period.unit];
  const startDay = dayNumber(rot.startDate);
  const handoffMin = minutesOfDay(rot.handoffTime);
  const n = rot.participants.length;
  const handoff = (k: number): number => clock.toInstant(localAt(startDay + k * periodDays, handoffMin));
  const origin = localAt(startDay, handoffMin);
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
      return { practitioner, start: handoff(k), end: handoff(k + 1), provenance: { kind: 'rotation', rotation: rot.id, shift: k, periodDays } };
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

interface CompiledWindow {
  readonly days: ReadonlySet<number>;
  readonly startMin: number;
  readonly endMin: number;
  /** 1 when the window runs past midnight (end <= start; end == start is 24 h). */
  readonly span: 0 | 1;
}

const compileWindow = (w: WeeklyWindow): CompiledWindow => {
  const startMin = minutesOfDay(w.start);
  const endMin = minutesOfDay(w.end);
  return { days: new Set(w.days.map((d) => WEEKDAYS.indexOf(d))), startMin, endMin, span: endMin <= startMin ? 1 : 0 };
};

/** Window instances that may contain t start on t's local day or a neighbour. */
const windowAt = (ws: readonly CompiledWindow[], clock: ZoneClock, t: number): [number, number] | null => {
  const d = localDay(clock.toLocal(t));
  for (let day = d - 1; day <= d + 1; day++) {
    const wd = weekdayIndex(day);
    for (const w of ws) {
      if (!w.days.has(wd)) continue;
      const s = clock.toInstant(localAt(day, w.startMin));
      if (s > t) continue;
      const e = clock.toInstant(localAt(day + w.span, w.endMin));
      if (t < e) return [s, e];
    }
  }
  return null;
};

const windowBoundaries = (ws: readonly CompiledWindow[], clock: ZoneClock, from: number, to: number): number[] => {
  const out: number[] = [];
  const last = localDay(clock.toLocal(to)) + 1;
  for (let day = localDay(clock.toLocal(from)) - 1; day <= last; day++) {
    const wd = weekdayIndex(day);
    for (const w of ws) {
      if (!w.days.has(wd)) continue;
      for (const b of [clock.toInstant(localAt(day, w.startMin)), clock.toInstant(localAt(day + w.span, w.endMin))]) {
        if (b > from && b < to) out.push(b);
      }
    }
  }
  return out;
};

/** A layer or backup: its source restricted to its weekly windows (if any). */
export const compileCoverage = (
  entry: CoverageEntry,
  rotations: ReadonlyMap<string, Source>,
  clock: ZoneClock,
): CompiledCoverage => {
  const source: Source =
    entry.rotation !== undefined
      ? (rotations.get(entry.rotation) ?? { at: () => null, boundaries: () => [] })
      : entry.practitioner !== undefined
        ? compileFixed(entry.practitioner)
        : compileShifts((entry.shifts ?? []).map((s) => ({ practitioner: s.practitioner, start: parseInstant(s.start, clock), end: parseInstant(s.end, clock) })));
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
