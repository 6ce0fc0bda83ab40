import { backupsAt, primaryAt, type Assignment, type PractitionerRef } from './assignment.js';
import type { CompiledRole, CompiledSchedule } from './compile.js';
import { err, ok, routingError, type Result, type RoutingError } from './errors.js';
import { segmentBoundaries } from './segments.js';

/**
 * `coverage(role, from, to)`: the role's timeline as consecutive half-open segments that tile
 * [from, to) exactly. A segment with `primary: null` is a gap. Segments are cut wherever the
 * answer of `oncall` can change (override, hand-off, window and shift boundaries) and merged
 * where consecutive pieces give the same answer.
 */

export interface CoverageSegment {
  readonly start: number;
  readonly end: number;
  readonly primary: Assignment | null;
  readonly backups: readonly PractitionerRef[];
}

/** Longest range one call may cover, so a typo in `to` cannot make a pure call run for minutes. */
export const MAX_COVERAGE_RANGE_MS = 2 * 366 * 24 * 3_600_000; // two years

const keyOf = (p: Assignment | null, backups: readonly PractitionerRef[]): string => {
  const via = p === null ? '' : p.via.kind === 'override' ? `o:${p.via.override}` : p.via.kind === 'layer' ? `l:${p.via.layer}` : '';
  return `${p?.practitioner.id ?? '-'}|${via}|${backups.map((b) => b.id).join(',')}`;
};

/**
 * [from, ...instants where the answer may change..., to], sorted and distinct: override, hand-off,
 * window and shift boundaries inside (from, to); backups' too when `withBackups`.
 */
export const cutPoints = (role: CompiledRole, from: number, to: number, withBackups: boolean): number[] => {
  const cuts = new Set<number>([from, to]);
  for (const b of segmentBoundaries(role.overrides.segments, from, to)) cuts.add(b);
  for (const c of withBackups ? [...role.layersTopFirst, ...role.backups] : role.layersTopFirst) for (const b of c.boundaries(from, to)) cuts.add(b);
  return [...cuts].sort((a, b) => a - b);
};

export const coverage = (
  compiled: CompiledSchedule,
  roleId: string,
  from: number,
  to: number,
): Result<CoverageSegment[], RoutingError> => {
  const role = compiled.roles.get(roleId);
  if (role === undefined) return err(routingError('ERR_ROLE_UNKNOWN', 'no role with this id in the schedule'));
  if (!(to > from) || to - from > MAX_COVERAGE_RANGE_MS) {
    return err(routingError('ERR_RANGE_INVALID', 'coverage range must be non-empty and at most two years'));
  }
  const points = cutPoints(role, from, to, true);

  const out: CoverageSegment[] = [];
  let lastKey = '';
  for (let i = 0; i < points.length - 1; i++) {
    const start = points[i] as number;
    const end = points[i + 1] as number;
    const primary = primaryAt(compiled, role, start);
    const backups = backupsAt(compiled, role, start, primary?.practitioner.id).map((a) => a.practitioner);
    const key = keyOf(primary, backups);
    const prev = out[out.length - 1];
    if (prev !== undefined && key === lastKey) out[out.length - 1] = { ...prev, end };
    else out.push({ start, end, primary, backups });
    lastKey = key;
  }
  return ok(out);
};
