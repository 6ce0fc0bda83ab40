import { addDuration, readDuration, readInstant, zoneClock, type ZoneClock } from '../time/index.js';
import type { Schedule } from './schedule-schema.js';

/**
 * Turning a schedule's written times into instants, in one place: every local time is read in the
 * zone of the item that holds it (its own `timeZone`, else the schedule's) by src/time's rule
 * (RFC 5545 3.3.5), and a `duration` adds its nominal days on the local calendar and its hours,
 * minutes and seconds as elapsed time (RFC 5545 3.3.6).
 */

/** The clock of an item's own zone, else the schedule's. Zones are validated with the references. */
export const clockFor = (schedule: Pick<Schedule, 'timeZone'>, zone: string | undefined): ZoneClock => zoneClock(zone ?? schedule.timeZone);

/** A written instant (validated by the schema) in epoch ms; NaN only for text the schema refuses. */
export const instantIn = (text: string, clock: ZoneClock): number => readInstant(text, clock) ?? Number.NaN;

/** [start, end) of a shift or an override: its `end`, or its start plus its `duration`. */
export const intervalOf = (
  item: { readonly start: string; readonly end?: string | undefined; readonly duration?: string | undefined },
  clock: ZoneClock,
): { start: number; end: number } => {
  const start = instantIn(item.start, clock);
  if (item.end !== undefined) return { start, end: instantIn(item.end, clock) };
  const d = item.duration === undefined ? undefined : readDuration(item.duration);
  return { start, end: d === undefined ? Number.NaN : addDuration(start, d, clock) };
};
