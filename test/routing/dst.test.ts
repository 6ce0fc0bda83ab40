import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { oncall, type CompiledSchedule } from '../../src/routing/index.js';
import { compiled, HOUR, MINUTE, people, utc } from './helpers.js';

/**
 * DST nights and a leap day, minute by minute. Each row names the documented hand-off instant
 * in UTC, worked out by hand from the rule (RFC 5545 3.3.5, src/time):
 *  - a local hand-off inside the spring-forward gap is read with the offset before the gap;
 *  - an ambiguous (fall-back) local hand-off is its first occurrence.
 * A daily rotation [before, after] starting the previous day hands off exactly once in the
 * ±12 h around that instant; every minute must name the right person.
 */

const dailyAt = (zone: string, handoff: string, startDate: string): CompiledSchedule =>
  compiled({
    version: 1,
    timeZone: zone,
    practitioners: people('before', 'after'),
    rotations: [{ id: 'r', participants: ['before', 'after'], period: { unit: 'day' }, handoffTime: handoff, startDate }],
    roles: [{ id: 'role', name: 'Role', layers: [{ id: 'l', rotation: 'r' }] }],
  });

const who = (c: CompiledSchedule, t: number): string | null => {
  const r = oncall(c, 'role', t);
  if (!r.ok) throw new Error(r.error.message);
  return r.value.primary?.practitioner.id ?? null;
};

describe.each([
  // zone, transition day, hand-off, documented instant, why, shift hours (previous day -> this day)
  ['America/Los_Angeles', '2025-03-09', '02:30', '2025-03-09T10:30:00Z', 'in the gap -> 02:30 PST = 03:30 PDT', 24],
  ['America/Los_Angeles', '2025-03-09', '07:00', '2025-03-09T14:00:00Z', '07:00 PDT', 23],
  ['America/Los_Angeles', '2025-11-02', '01:30', '2025-11-02T08:30:00Z', 'ambiguous -> first (PDT)', 24],
  ['America/Los_Angeles', '2025-11-02', '07:00', '2025-11-02T15:00:00Z', '07:00 PST', 25],
  ['America/New_York', '2025-03-09', '02:30', '2025-03-09T07:30:00Z', 'in the gap -> 02:30 EST = 03:30 EDT', 24],
  ['America/New_York', '2025-03-09', '07:00', '2025-03-09T11:00:00Z', '07:00 EDT', 23],
  ['America/New_York', '2025-11-02', '01:30', '2025-11-02T05:30:00Z', 'ambiguous -> first (EDT)', 24],
  ['America/New_York', '2025-11-02', '07:00', '2025-11-02T12:00:00Z', '07:00 EST', 25],
  ['Europe/Berlin', '2025-03-30', '02:30', '2025-03-30T01:30:00Z', 'in the gap -> 02:30 CET = 03:30 CEST', 24],
  ['Europe/Berlin', '2025-03-30', '07:00', '2025-03-30T05:00:00Z', '07:00 CEST', 23],
  ['Europe/Berlin', '2025-10-26', '02:30', '2025-10-26T00:30:00Z', 'ambiguous -> first (CEST)', 24],
  ['Europe/Berlin', '2025-10-26', '07:00', '2025-10-26T06:00:00Z', '07:00 CET', 25],
  ['America/New_York', '2024-02-29', '07:00', '2024-02-29T12:00:00Z', 'leap day', 24],
  ['Europe/Berlin', '2024-02-29', '00:00', '2024-02-28T23:00:00Z', 'leap day midnight', 24],
])('%s %s hand-off %s', (zone, day, handoff, expected, why, hours) => {
  const prev = DateTime.fromISO(day, { zone: 'UTC' }).minus({ days: 1 }).toISODate() ?? '';
  const c = dailyAt(zone, handoff, prev);
  const h = utc(expected);

  it(`every minute within ±12 h names the documented person (${why})`, () => {
    const wrong: string[] = [];
    for (let t = h - 12 * HOUR; t < h + 12 * HOUR; t += MINUTE) {
      const want = t < h ? 'before' : 'after';
      if (who(c, t) !== want) wrong.push(new Date(t).toISOString());
    }
    expect(wrong).toEqual([]);
  });

  it(`the shift before it lasts ${hours} h (no gap, no double coverage)`, () => {
    const r = oncall(c, 'role', h - MINUTE);
    expect(r.ok && r.value.primary && [r.value.primary.end, (r.value.primary.end - r.value.primary.start) / HOUR]).toEqual([h, hours]);
  });
});

describe('a whole DST night with a weekly day rotation, a night layer and an override', () => {
  // New York, fall-back night 2025-11-01 -> 2025-11-02: weekly rotation hands off Sunday 07:00;
  // night layer 19:00-07:00 every day; an override covers 01:00-02:00 local written in UTC.
  const zone = 'America/New_York';
  const c = compiled({
    version: 1,
    timeZone: zone,
    practitioners: people('day1', 'day2', 'night', 'ovr'),
    rotations: [
      { id: 'days', participants: ['day1', 'day2'], period: { unit: 'week' }, handoffTime: '07:00', startDate: '2025-10-26' },
      { id: 'nights', participants: ['night'], period: { unit: 'week' }, handoffTime: '07:00', startDate: '2025-10-26' },
    ],
    roles: [
      {
        id: 'role',
        name: 'Role',
        layers: [
          { id: 'days', rotation: 'days' },
          { id: 'nights', rotation: 'nights', windows: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], start: '19:00', end: '07:00' }] },
        ],
      },
    ],
    // 2025-11-02T06:00Z is the fall-back instant: this is the *second* 01:00-02:00 (EST).
    overrides: [{ id: 'o', role: 'role', practitioner: 'ovr', start: '2025-11-02T06:00:00Z', end: '2025-11-02T07:00:00Z' }],
  });
  const timeline: [string, string][] = [
    ['2025-11-01T16:00:00Z', 'day1'], // Sat 12:00 EDT
    ['2025-11-01T23:00:00Z', 'night'], // Sat 19:00 EDT
    ['2025-11-02T06:00:00Z', 'ovr'], // Sun 01:00 EST (second 01:00)
    ['2025-11-02T07:00:00Z', 'night'], // Sun 02:00 EST
    ['2025-11-02T12:00:00Z', 'day2'], // Sun 07:00 EST: weekly hand-off
    ['2025-11-02T17:00:00Z', 'end'],
  ];
  it('every minute from Saturday noon to Sunday noon is the documented person', () => {
    const wrong: string[] = [];
    for (let i = 0; i < timeline.length - 1; i++) {
      const [from, want] = timeline[i] as [string, string];
      const to = utc((timeline[i + 1] as [string, string])[0]);
      for (let t = utc(from); t < to; t += MINUTE) if (who(c, t) !== want) wrong.push(`${new Date(t).toISOString()} want ${want}`);
    }
    expect(wrong).toEqual([]);
  });
});
