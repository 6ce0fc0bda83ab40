import { primaryAt, type Assignment } from './assignment.js';
import type { CompiledRole, CompiledSchedule } from './compile.js';
import { cutPoints } from './coverage.js';
import { err, ok, routingError, type Result, type RoutingError } from './errors.js';
import { DAY_MS } from '../time/index.js';

/**
 * `nextChange(role, at)`: when the person on call for a role next changes, and who takes over.
 * Only the person counts: a hand-off from one layer or shift to another that leaves the same
 * practitioner on call is no change (the stretches are merged), while an override or a swap that
 * puts someone else on call is one. Looks at most `horizonMs` ahead (and back, for `since`).
 */

export interface OnCallStretch {
  /** Who is on call (null: nobody, a gap), with how they were chosen at the stretch's first instant. */
  readonly primary: Assignment | null;
  /** Start of the stretch; null when it started before the horizon (e.g. a fixed assignment). */
  readonly since: number | null;
  /** End of the stretch (the next change); null when nothing changes within the horizon. */
  readonly until: number | null;
}

export interface NextChange {
  readonly role: { readonly id: string; readonly name: string };
  readonly at: number;
  readonly timeZone: string;
  readonly current: OnCallStretch;
  /** Who takes over at `current.until`; null when nothing changes within the horizon. */
  readonly next: OnCallStretch | null;
}

/** How far `nextChange` looks ahead and back by default: one year. */
export const NEXT_CHANGE_HORIZON_MS = 366 * DAY_MS;
const FIRST_STEP_MS = 8 * DAY_MS;

const who = (a: Assignment | null): string | null => a?.practitioner.id ?? null;

/** First instant in (t, limit] where the primary is no longer `person`, or null. Scans in growing steps. */
const changeAfter = (c: CompiledSchedule, role: CompiledRole, t: number, person: string | null, limit: number): number | null => {
  for (let from = t, step = FIRST_STEP_MS; from < limit; from += step, step *= 2) {
    const to = Math.min(limit, from + step);
    for (const p of cutPoints(role, from, to, false)) {
      if (p > t && who(primaryAt(c, role, p)) !== person) return p;
    }
  }
  return null;
};

/** Start of the stretch of `person` containing t (the last change at or before t), or null past the limit. */
const changeBefore = (c: CompiledSchedule, role: CompiledRole, t: number, person: string | null, limit: number): number | null => {
  let boundary = t;
  for (let to = t, step = FIRST_STEP_MS; to > limit; to -= step, step *= 2) {
    const from = Math.max(limit, to - step);
    const points = cutPoints(role, from, to, false);
    // walk back over the cut points: the stretch starts at the first one whose left side differs
    for (let i = points.length - 1; i > 0; i--) {
      const p = points[i] as number;
      if (p > boundary) continue;
      if (who(primaryAt(c, role, points[i - 1] as number)) !== person) return p;
      boundary = p;
    }
  }
  return null;
};

export const nextChange = (
  compiled: CompiledSchedule,
  roleId: string,
  at: number,
  opts: { readonly horizonMs?: number } = {},
): Result<NextChange, RoutingError> => {
  const role = compiled.roles.get(roleId);
  if (role === undefined) return err(routingError('ERR_ROLE_UNKNOWN', 'no role with this id in the schedule'));
  if (!Number.isFinite(at)) return err(routingError('ERR_INSTANT_INVALID', 'instant is not a finite epoch-ms number'));
  const horizon = Math.min(opts.horizonMs ?? NEXT_CHANGE_HORIZON_MS, 2 * NEXT_CHANGE_HORIZON_MS);
  const primary = primaryAt(compiled, role, at);
  const person = who(primary);
  const since = changeBefore(compiled, role, at, person, at - horizon);
  const until = changeAfter(compiled, role, at, person, at + horizon);
  let next: OnCallStretch | null = null;
  if (until !== null) {
    const taker = primaryAt(compiled, role, until);
    next = { primary: taker, since: until, until: changeAfter(compiled, role, until, who(taker), until + horizon) };
  }
  return ok({
    role: { id: role.role.id, name: role.role.name },
    at,
    timeZone: compiled.timeZone,
    current: { primary, since, until },
    next,
  });
};
