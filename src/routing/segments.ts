/**
 * Disjoint, sorted half-open intervals [start, end) with a payload, searched by bisection.
 * Used for overrides and explicit shifts, where entries may overlap and the later-listed entry
 * wins (README.md "On-call schedules and routing" "Overrides"): flattening once at compile time makes lookup O(log n).
 */

export interface Interval<T> {
  readonly start: number;
  readonly end: number;
  readonly value: T;
  /** Position in the source list; the higher wins where intervals overlap. */
  readonly rank: number;
}

export interface Segments<T> {
  readonly starts: Float64Array;
  readonly ends: Float64Array;
  readonly items: readonly Interval<T>[];
}

export interface Flattened<T> {
  readonly segments: Segments<T>;
  /** Stretches where two or more entries overlap (for lint), with the ranks involved. */
  readonly overlaps: readonly { start: number; end: number; ranks: readonly number[] }[];
}

/** Sweep the boundaries; in each elementary stretch the highest-ranked active entry wins. */
export const flatten = <T>(intervals: readonly Interval<T>[]): Flattened<T> => {
  const valid = intervals.filter((i) => i.end > i.start);
  const points = [...new Set(valid.flatMap((i) => [i.start, i.end]))].sort((a, b) => a - b);
  const byStart = [...valid].sort((a, b) => a.start - b.start);
  const out: Interval<T>[] = [];
  const overlaps: { start: number; end: number; ranks: number[] }[] = [];
  let active: Interval<T>[] = [];
  let next = 0;
  for (let p = 0; p < points.length - 1; p++) {
    const from = points[p] as number;
    const to = points[p + 1] as number;
    active = active.filter((i) => i.end > from);
    while (next < byStart.length && (byStart[next] as Interval<T>).start <= from) active.push(byStart[next++] as Interval<T>);
    if (active.length === 0) continue;
    let winner = active[0] as Interval<T>;
    for (const i of active) if (i.rank > winner.rank) winner = i;
    const prev = out[out.length - 1];
    if (prev !== undefined && prev.rank === winner.rank && prev.end === from) out[out.length - 1] = { ...prev, end: to };
    else out.push({ start: from, end: to, value: winner.value, rank: winner.rank });
    if (active.length > 1) {
      const ranks = active.map((i) => i.rank).sort((a, b) => a - b);
      const last = overlaps[overlaps.length - 1];
      if (last !== undefined && last.end === from && last.ranks.join() === ranks.join()) last.end = to;
      else overlaps.push({ start: from, end: to, ranks });
    }
  }
  return {
    segments: { starts: Float64Array.from(out, (i) => i.start), ends: Float64Array.from(out, (i) => i.end), items: out },
    overlaps,
  };
};

/** The segment containing t, or undefined. O(log n). */
export const findSegment = <T>(segs: Segments<T>, t: number): Interval<T> | undefined => {
  const { starts, ends } = segs;
  let lo = 0;
  let hi = starts.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if ((starts[mid] as number) <= t) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  if (found < 0 || t >= (ends[found] as number)) return undefined;
  return segs.items[found];
};

/** Segment boundaries strictly inside (from, to). */
export const segmentBoundaries = <T>(segs: Segments<T>, from: number, to: number): number[] => {
  const out: number[] = [];
  for (const i of segs.items) {
    if (i.end <= from) continue;
    if (i.start >= to) break;
    if (i.start > from) out.push(i.start);
    if (i.end < to) out.push(i.end);
  }
  return out;
};
