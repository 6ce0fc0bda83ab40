// Shared fixtures of the on-call store tests: the documented example schedule, a fixed clock.
import { readFileSync } from 'node:fs';
import type { Schedule } from '../../src/routing/index.js';

export const EXAMPLE_PATH = new URL('../../fixtures/schedules/example.json', import.meta.url).pathname;
export const FEED_PATH = new URL('../../fixtures/schedules/ob-feed.ics', import.meta.url).pathname;
export const FEED_MAPPING_PATH = new URL('../../fixtures/schedules/ob-feed.mapping.json', import.meta.url).pathname;

/** A fresh, mutable copy of fixtures/schedules/example.json as written. */
export const example = (): Record<string, unknown> & Schedule => JSON.parse(readFileSync(EXAMPLE_PATH, 'utf8')) as Record<string, unknown> & Schedule;

/** Tue 2025-03-04 10:00 EST: dr-alvarez is on call for ob-oncall (ob-weekly shift 0). */
export const NOW = new Date('2025-03-04T15:00:00Z');

/** Unwraps an ok Result or fails the test with the error. */
export const value = <T, E>(r: { ok: true; value: T } | { ok: false; error: E }): T => {
  if (!r.ok) throw new Error(`expected ok, got ${JSON.stringify(r.error)}`);
  return r.value;
};
export const error = <T, E>(r: { ok: true; value: T } | { ok: false; error: E }): E => {
  if (r.ok) throw new Error('expected an error, got ok');
  return r.error;
};
