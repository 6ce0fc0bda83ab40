// Triage at delivery time (pure): stat, asap and urgent go out at once, at any hour; routine is
// held for the recipient's start of day and delivered there as one digest, unless its policy says
// `routine: "now"`. Quiet hours hold routine messages only: a critical result always breaks through.
import type { CompiledSchedule } from '../routing/index.js';
import type { EventInsert } from '../store/index.js';
import { policyOf, type RunRef } from './chain.js';
import { event } from './dispatch.js';

const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;
const DAY_MS = 86_400_000;

export interface HoldRef extends RunRef {
  readonly priority: string;
  /** the practitioner named at routing: their start of day decides */
  readonly routed_to: string | null;
}

/** Whether a run's first step waits for the digest. */
export const holdsForDigest = (c: CompiledSchedule | undefined, run: HoldRef): boolean =>
  run.priority === 'routine' && (c === undefined || policyOf(c, run)?.routine !== 'now');

/** The start of day that applies: the routed practitioner's, else the role's, else the site default. */
export const startOfDayOf = (c: CompiledSchedule, run: HoldRef, fallback: string): string =>
  (run.routed_to === null ? undefined : c.practitioners.get(run.routed_to)?.startOfDay) ??
  (run.role === null ? undefined : c.roles.get(run.role)?.role.startOfDay) ??
  fallback;

/**
 * The first instant after `now` whose wall-clock time in the schedule's zone is `hhmm` (the zone
 * clock's rule for a time a DST change skips or repeats: the first instant after the gap, the
 * first occurrence).
 */
export const nextLocalTime = (c: CompiledSchedule, hhmm: string, now: number): number => {
  const m = HHMM.exec(hhmm);
  if (m === null) throw new RangeError('start of day is not HH:MM');
  const minutes = Number(m[1]) * 60 + Number(m[2]);
  const day = Math.floor(c.clock.toLocal(now) / DAY_MS);
  for (let d = day; d <= day + 2; d++) {
    const t = c.clock.toInstant(d * DAY_MS + minutes * 60_000);
    if (t > now) return t;
  }
  return now + DAY_MS; // unreachable: one of three consecutive days has the time after `now`
};

/** A routine run held for its digest: when it is due, and the timeline's reason. */
export interface Hold {
  readonly due: Date;
  readonly reason: string;
}

/**
 * Whether a run not yet fired waits for the digest, and until when: null when its first step goes
 * out now (not routine, a policy with `routine: "now"`, or no schedule to read a start of day from).
 */
export function holdFor(c: CompiledSchedule | undefined, run: HoldRef, fallbackStartOfDay: string, now: number): Hold | null {
  if (c === undefined || !holdsForDigest(c, run)) return null;
  const hhmm = startOfDayOf(c, run, fallbackStartOfDay);
  const due = new Date(nextLocalTime(c, hhmm, now));
  return { due, reason: `routine: held for the ${hhmm} digest (${c.timeZone}) at ${due.toISOString()}` };
}

/** The timeline entry of a run held for its digest: the scheduler's (decideRun) and a run's started held (startEscalations) alike. */
export const heldEvent = (requestId: string, at: Date, hold: Hold): EventInsert => event(requestId, at, 'held_for_digest', { reason: hold.reason });
