// Schedules as physician groups run them: a role covered from Berlin by day and New York by night
// (each layer in its own zone), Monday-Friday rotations that take one turn per working day, shifts
// given as start plus duration, and when the person on call next changes.
import { describe, expect, it } from 'vitest';
import { nextChange, oncall, type CompiledSchedule, type ScheduleInput } from '../../src/routing/index.js';
import { compiled, local, people, utc } from './helpers.js';

const NY = 'America/New_York';
const BERLIN = 'Europe/Berlin';
const EVERY_DAY = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;

const who = (c: CompiledSchedule, role: string, t: number): string | null => {
  const r = oncall(c, role, t);
  if (!r.ok) throw new Error(r.error.message);
  return r.value.primary?.practitioner.id ?? null;
};

describe('follow-the-sun: one role, a Berlin day layer and a New York night layer', () => {
  // Berlin covers 08:00-20:00 Berlin time, New York covers 14:00-02:00 New York time: in winter
  // (CET = UTC+1, EST = UTC-5) that is 07:00-19:00Z and 19:00-07:00Z, meeting exactly.
  const input: ScheduleInput = {
    version: 1,
    timeZone: 'UTC',
    practitioners: people('ber1', 'ber2', 'ny1', 'ny2'),
    rotations: [
      { id: 'berlin-team', participants: ['ber1', 'ber2'], period: { unit: 'week' }, handoffTime: '08:00', startDate: '2025-01-06', timeZone: BERLIN },
      { id: 'ny-team', participants: ['ny1', 'ny2'], period: { unit: 'week' }, handoffTime: '14:00', startDate: '2025-01-06', timeZone: NY },
    ],
    roles: [{
      id: 'tele-icu', name: 'Tele-ICU intensivist', layers: [
        { id: 'berlin-days', rotation: 'berlin-team', timeZone: BERLIN, windows: [{ days: [...EVERY_DAY], start: '08:00', end: '20:00' }] },
        { id: 'ny-nights', rotation: 'ny-team', timeZone: NY, windows: [{ days: [...EVERY_DAY], start: '14:00', end: '02:00' }] },
      ],
    }],
  };
  const c = compiled(input);

  it.each([
    ['2025-01-08T06:59:00Z', 'ny1', 'Wed 01:59 New York: the night layer'],
    ['2025-01-08T07:00:00Z', 'ber1', 'Wed 08:00 Berlin: the day layer, week 0'],
    ['2025-01-08T18:59:00Z', 'ber1', 'Wed 19:59 Berlin'],
    ['2025-01-08T19:00:00Z', 'ny1', 'Wed 14:00 New York'],
    ['2025-01-13T07:00:00Z', 'ber2', 'Mon 08:00 Berlin: the Berlin hand-off, in Berlin time'],
    ['2025-01-13T18:59:00Z', 'ber2', 'Mon 19:59 Berlin: still the day layer'],
    ['2025-01-13T19:00:00Z', 'ny2', 'Mon 14:00 New York: the New York hand-off, in New York time'],
  ])('%s -> %s (%s)', (at, want) => {
    expect(who(c, 'tele-icu', utc(at))).toBe(want);
  });

  it('in winter the two layers tile the day exactly: every minute of a week has one of them', () => {
    const gaps: string[] = [];
    for (let t = utc('2025-01-06T19:00:00Z'); t < utc('2025-01-13T19:00:00Z'); t += 60_000) if (who(c, 'tele-icu', t) === null) gaps.push(new Date(t).toISOString());
    expect(gaps).toEqual([]);
  });

  it('between the US (Mar 9) and EU (Mar 30) DST changes the zones drift: the New York night layer starts an hour earlier in UTC, so Berlin is overlapped, not left uncovered', () => {
    // Tue 2025-03-11: EDT = UTC-4, CET = UTC+1. New York 14:00-02:00 = 18:00-06:00Z; Berlin 08:00-20:00 = 07:00-19:00Z.
    expect(who(c, 'tele-icu', utc('2025-03-11T06:30:00Z'))).toBeNull(); // 02:30 EDT, 07:30 CET: a real gap to lint
    expect(who(c, 'tele-icu', utc('2025-03-11T18:30:00Z'))).toMatch(/^ny/); // the later-listed layer wins the overlap
  });
});

describe('per-window turns: Monday-Friday, one person per working day, weekends use no turn', () => {
  const c = compiled({
    version: 1,
    timeZone: NY,
    practitioners: people('a', 'b', 'c', 'wk'),
    rotations: [
      { id: 'weekdays', participants: ['a', 'b', 'c'], advance: 'per-window', startDate: '2025-03-05', windows: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '08:00', end: '08:00' }] },
    ],
    roles: [{ id: 'clinic', name: 'Clinic call', layers: [{ id: 'weekend', practitioner: 'wk' }, { id: 'weekdays', rotation: 'weekdays' }] }],
  });

  it.each([
    ['2025-03-05T07:59', 'wk', 'before the first turn (Wed 08:00): the layer below'],
    ['2025-03-05T08:00', 'a', 'Wed: turn 0'],
    ['2025-03-06T08:00', 'b', 'Thu: turn 1'],
    ['2025-03-07T08:00', 'c', 'Fri: turn 2'],
    ['2025-03-08T07:59', 'c', 'Fri\'s turn runs to Sat 08:00'],
    ['2025-03-08T08:00', 'wk', 'Sat: no window, no turn'],
    ['2025-03-09T12:00', 'wk', 'Sun (spring forward): no turn'],
    ['2025-03-10T08:00', 'a', 'Mon: turn 3 goes to a, the weekend moved nobody along'],
    ['2025-03-11T08:00', 'b', 'Tue: turn 4'],
    ['2025-03-17T08:00', 'c', 'next Mon: turn 8 (Wed-Fri, then five a week), 8 mod 3 = 2'],
  ])('%s -> %s (%s)', (at, want) => {
    expect(who(c, 'clinic', local(at, NY))).toBe(want);
  });

  it('explains the turn', () => {
    const r = oncall(c, 'clinic', local('2025-03-11T09:00', NY));
    expect(r.ok && r.value.primary?.via).toMatchObject({ kind: 'layer', source: { kind: 'rotation', advance: 'per-window', shift: 4 } });
  });
});

describe('shifts and overrides as start plus duration (exact hours, nominal days)', () => {
  const c = compiled({
    version: 1,
    timeZone: NY,
    practitioners: people('a', 'b', 'o'),
    roles: [{ id: 'r', name: 'R', layers: [{ id: 'l', shifts: [
      { practitioner: 'a', start: '2025-11-01T19:00', duration: 'PT12H' },
      { practitioner: 'b', start: '2025-11-02T07:00', duration: 'P1D' },
    ] }] }],
    overrides: [{ role: 'r', practitioner: 'o', start: '2025-11-03T12:00', duration: 'PT30M' }],
  });
  it.each<[string, string | null, string]>([
    ['2025-11-01T23:00:00Z', 'a', '19:00 EDT'],
    ['2025-11-02T10:59:00Z', 'a', 'PT12H is 12 elapsed hours through the fall-back night: until 06:00 EST = 11:00Z'],
    ['2025-11-02T11:00:00Z', null, 'the hour from 06:00 to 07:00 EST nobody covers'],
    ['2025-11-02T12:00:00Z', 'b', '07:00 EST'],
    ['2025-11-03T11:59:00Z', 'b', 'P1D ends at 07:00 EST the next day'],
    ['2025-11-03T12:00:00Z', null, ''],
    ['2025-11-03T17:00:00Z', 'o', 'the override, 12:00 EST for PT30M'],
    ['2025-11-03T17:30:00Z', null, 'the override ended'],
  ])('%s -> %s (%s)', (at, want) => {
    expect(who(c, 'r', utc(at))).toBe(want);
  });
});

describe('nextChange: when the person on call next changes, and who takes over', () => {
  const c = compiled({
    version: 1,
    timeZone: NY,
    practitioners: people('a', 'b', 'n'),
    rotations: [
      { id: 'days', participants: ['a', 'b'], period: { unit: 'week' }, handoffTime: '07:00', startDate: '2025-03-03' },
      { id: 'nights', participants: ['n'], period: { unit: 'week' }, handoffTime: '07:00', startDate: '2025-03-03' },
    ],
    roles: [{ id: 'r', name: 'R', layers: [
      { id: 'days', rotation: 'days' },
      // a's own night layer on Tuesdays: a layer change that keeps the same person is no change
      { id: 'tue-nights', practitioner: 'a', windows: [{ days: ['tue'], start: '19:00', end: '07:00' }] },
      { id: 'thu-nights', rotation: 'nights', windows: [{ days: ['thu'], start: '19:00', end: '07:00' }] },
    ] }],
    overrides: [{ id: 'swap', role: 'r', practitioner: 'b', start: '2025-03-05T12:00', end: '2025-03-05T13:00', reason: 'swap' }],
  });
  const iso = (t: number | null | undefined): string | null => (t === null || t === undefined ? null : new Date(t).toISOString());
  const next = (at: string) => {
    const r = nextChange(c, 'r', local(at, NY));
    if (!r.ok) throw new Error(r.error.message);
    return r.value;
  };

  it('Tuesday: a is on call by day and by night (two layers, one stretch) until the swap on Wednesday noon', () => {
    const r = next('2025-03-04T10:00');
    expect(r.current.primary?.practitioner.id).toBe('a');
    expect(iso(r.current.since)).toBe('2025-03-03T12:00:00.000Z'); // Mon 07:00 EST, the rotation's first hand-off
    expect(iso(r.current.until)).toBe('2025-03-05T17:00:00.000Z'); // Wed 12:00 EST: the override
    expect(r.next?.primary?.practitioner.id).toBe('b');
    expect(r.next?.primary?.via.kind).toBe('override');
    expect(iso(r.next?.until)).toBe('2025-03-05T18:00:00.000Z');
  });

  it('after the swap a is back until Thursday night, then the night rotation', () => {
    const r = next('2025-03-05T13:30');
    expect(iso(r.current.since)).toBe('2025-03-05T18:00:00.000Z');
    expect(iso(r.current.until)).toBe('2025-03-07T00:00:00.000Z'); // Thu 19:00 EST
    expect(r.next?.primary?.practitioner.id).toBe('n');
  });

  it('a role covered by one fixed person never changes within the horizon', () => {
    const fixed = compiled({ version: 1, timeZone: NY, practitioners: people('a'), roles: [{ id: 'f', name: 'F', layers: [{ id: 'l', practitioner: 'a' }] }] });
    const r = nextChange(fixed, 'f', utc('2025-03-04T15:00:00Z'));
    expect(r.ok && [r.value.current.primary?.practitioner.id, r.value.current.since, r.value.current.until, r.value.next]).toEqual(['a', null, null, null]);
  });

  it('an unknown role is an error, without echoing the role', () => {
    const r = nextChange(c, 'nope-secret', 0);
    expect(r.ok ? null : r.error.code).toBe('ERR_ROLE_UNKNOWN');
    expect(JSON.stringify(r)).not.toContain('nope-secret');
  });
});
