import { DateTime } from 'luxon';
import { compileSchedule, scheduleSchema, type CompiledSchedule, type Schedule, type ScheduleInput } from '../../src/routing/index.js';

/** Test helpers: build schedules from compact literals, and instants from local wall-clock text. */

export const schedule = (input: ScheduleInput): Schedule => scheduleSchema.parse(input);

export const compiled = (input: ScheduleInput): CompiledSchedule => {
  const c = compileSchedule(schedule(input));
  if (!c.ok) throw new Error(JSON.stringify(c.error.issues));
  return c.value;
};

/** Local wall-clock ISO text in `zone` -> epoch ms (only for unambiguous, existing times). */
export const local = (text: string, zone: string): number => {
  const dt = DateTime.fromISO(text, { zone });
  if (!dt.isValid) throw new Error(`bad local time ${text}`);
  return dt.toMillis();
};

export const utc = (text: string): number => Date.parse(text);

export const people = (...ids: string[]): ScheduleInput['practitioners'] =>
  ids.map((id) => ({ id, name: `Dr ${id.toUpperCase()}`, channels: [{ kind: 'sms' as const, address: `+1555${id}` }] }));

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
