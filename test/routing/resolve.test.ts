import { describe, expect, it } from 'vitest';
import { oncall, type CompiledSchedule, type ScheduleInput } from '../../src/routing/index.js';
import { compiled, local, people } from './helpers.js';

const NY = 'America/New_York';

const primaryId = (c: CompiledSchedule, role: string, at: number): string | null => {
  const r = oncall(c, role, at);
  if (!r.ok) throw new Error(r.error.message);
  return r.value.primary?.practitioner.id ?? null;
};

const base = (over: Partial<ScheduleInput>): ScheduleInput => ({
  version: 1,
  timeZone: NY,
  practitioners: people('a', 'b', 'c', 'n1', 'n2', 'w', 'x', 'bk1', 'bk2'),
  roles: [],
  ...over,
});

describe('rotations: shift k covers [handoff k, handoff k+1), participant k mod n', () => {
  const c = compiled(
    base({
      rotations: [
        { id: 'weekly', participants: ['a', 'b', 'c'], period: { unit: 'week' }, handoffTime: '07:00', startDate: '2025-01-06' },
        { id: 'daily', participants: ['a', 'b'], period: { unit: 'day' }, handoffTime: '08:30', startDate: '2025-01-06' },
        { id: 'three-day', participants: ['a', 'b', 'c'], period: { unit: 'day', count: 3 }, handoffTime: '00:00', startDate: '2025-01-06' },
        { id: 'biweekly', participants: ['a', 'b'], period: { unit: 'week', count: 2 }, handoffTime: '17:00', startDate: '2025-01-03' },
      ],
      roles: ['weekly', 'daily', 'three-day', 'biweekly'].map((r) => ({ id: r, name: r, layers: [{ id: 'l', rotation: r }] })),
    }),
  );
  it.each<[string, string, string | null, string]>([
    ['weekly', '2025-01-06T06:59', null, 'before the first hand-off nobody is on call'],
    ['weekly', '2025-01-06T07:00', 'a', 'first hand-off, exactly'],
    ['weekly', '2025-01-13T06:59', 'a', 'one minute before the next hand-off'],
    ['weekly', '2025-01-13T07:00', 'b', 'next hand-off'],
    ['weekly', '2025-01-20T07:00', 'c', 'third week'],
    ['weekly', '2025-01-27T07:00', 'a', 'wraps to the first participant'],
    ['weekly', '2025-03-10T06:59', 'c', 'week 9 across spring-forward (Mar 9) still c'],
    ['weekly', '2025-03-10T07:00', 'a', 'week 9 hand-off at 07:00 EDT'],
    ['daily', '2025-01-06T08:29', null, 'before start'],
    ['daily', '2025-01-06T08:30', 'a', 'day 0'],
    ['daily', '2025-01-07T08:29', 'a', 'day 0, last minute'],
    ['daily', '2025-01-07T08:30', 'b', 'day 1'],
    ['daily', '2025-01-08T08:30', 'a', 'day 2'],
    ['three-day', '2025-01-08T23:59', 'a', 'first 3-day shift'],
    ['three-day', '2025-01-09T00:00', 'b', 'second 3-day shift at local midnight'],
    ['three-day', '2025-01-15T00:00', 'a', 'wraps after 9 days'],
    ['biweekly', '2025-01-17T16:59', 'a', '2-week shift, last minute'],
    ['biweekly', '2025-01-17T17:00', 'b', '2-week hand-off (Friday 17:00)'],
  ])('%s at %s -> %s (%s)', (role, at, want) => {
    expect(primaryId(c, role, local(at, NY))).toBe(want);
  });

  it('a weekly shift across spring-forward lasts 167 h, across fall-back 169 h', () => {
    const shift = (at: string): number => {
      const r = oncall(c, 'weekly', local(at, NY));
      if (!r.ok || r.value.primary === null) throw new Error('no shift');
      return (r.value.primary.end - r.value.primary.start) / 3_600_000;
    };
    expect(shift('2025-03-08T12:00')).toBe(167);
    expect(shift('2025-11-01T12:00')).toBe(169);
    expect(shift('2025-06-01T12:00')).toBe(168);
  });
});

describe('layers: a higher layer wins where it has someone; windows are local and weekly', () => {
  const c = compiled(
    base({
      rotations: [
        { id: 'days', participants: ['a'], period: { unit: 'week' }, handoffTime: '07:00', startDate: '2025-01-06' },
        { id: 'nights', participants: ['n1', 'n2'], period: { unit: 'week' }, handoffTime: '07:00', startDate: '2025-01-06' },
        { id: 'empty', participants: [], period: { unit: 'week' }, handoffTime: '07:00', startDate: '2025-01-06' },
      ],
      roles: [
        {
          id: 'ob',
          name: 'OB',
          layers: [
            { id: 'all', rotation: 'days' },
            { id: 'nights', rotation: 'nights', windows: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '19:00', end: '07:00' }] },
            { id: 'weekend', practitioner: 'w', windows: [{ days: ['sat', 'sun'], start: '07:00', end: '07:00' }] },
            { id: 'vacant', rotation: 'empty' },
          ],
        },
        {
          id: 'nights-only',
          name: 'nights only',
          layers: [{ id: 'n', rotation: 'nights', windows: [{ days: ['mon'], start: '19:00', end: '07:00' }] }],
        },
      ],
    }),
  );
  it.each<[string, string, string | null, string]>([
    ['ob', '2025-01-06T18:59', 'a', 'Monday day: bottom layer'],
    ['ob', '2025-01-06T19:00', 'n1', 'Monday night starts 19:00'],
    ['ob', '2025-01-07T06:59', 'n1', 'night window runs past midnight'],
    ['ob', '2025-01-07T07:00', 'a', 'night ends 07:00 Tuesday'],
    ['ob', '2025-01-10T19:00', 'n1', 'Friday night'],
    ['ob', '2025-01-11T06:59', 'n1', 'Friday night ends Saturday 06:59'],
    ['ob', '2025-01-11T07:00', 'w', 'weekend layer from Saturday 07:00 (24 h window)'],
    ['ob', '2025-01-12T23:00', 'w', 'Sunday night is weekend'],
    ['ob', '2025-01-13T06:59', 'w', 'weekend ends Monday 07:00'],
    ['ob', '2025-01-13T07:00', 'a', 'Monday day again'],
    ['ob', '2025-01-13T19:00', 'n2', 'second week of the night rotation'],
    ['nights-only', '2025-01-06T19:00', 'n1', 'inside the only window'],
    ['nights-only', '2025-01-07T07:00', null, 'outside every window: a gap, reported as null'],
  ])('%s at %s -> %s (%s)', (role, at, want) => {
    expect(primaryId(c, role, local(at, NY))).toBe(want);
  });
});

describe('overrides: win over layers exactly inside [start, end); later-listed wins', () => {
  const c = compiled(
    base({
      rotations: [{ id: 'r', participants: ['a', 'b'], period: { unit: 'week' }, handoffTime: '07:00', startDate: '2025-01-06' }],
      roles: [{ id: 'ob', name: 'OB', layers: [{ id: 'l', rotation: 'r' }] }],
      overrides: [
        { id: 'o1', role: 'ob', practitioner: 'x', start: '2025-01-08T12:00', end: '2025-01-09T12:00' },
        { id: 'o2', role: 'ob', practitioner: 'c', start: '2025-01-09T00:00', end: '2025-01-09T06:00' },
        { id: 'o3', role: 'ob', practitioner: 'w', start: '2025-01-10T12:00:00Z', end: '2025-01-10T13:00:00Z' },
      ],
    }),
  );
  it.each([
    ['2025-01-08T11:59', 'a', 'just before o1'],
    ['2025-01-08T12:00', 'x', 'o1 start is inside'],
    ['2025-01-08T23:59', 'x', 'o1'],
    ['2025-01-09T00:00', 'c', 'o2 listed later wins inside o1'],
    ['2025-01-09T05:59', 'c', 'o2 last minute'],
    ['2025-01-09T06:00', 'x', 'o2 end is outside: back to o1'],
    ['2025-01-09T11:59', 'x', 'o1 last minute'],
    ['2025-01-09T12:00', 'a', 'o1 end is outside: back to the rotation'],
    ['2025-01-10T07:00', 'w', 'o3 given in UTC (12:00Z = 07:00 EST)'],
    ['2025-01-10T08:00', 'a', 'o3 end'],
  ])('at %s -> %s (%s)', (at, want) => {
    expect(primaryId(c, 'ob', local(at, NY))).toBe(want);
  });
  it('explains the override that decided', () => {
    const r = oncall(c, 'ob', local('2025-01-09T01:00', NY));
    expect(r.ok && r.value.primary?.via).toEqual({ kind: 'override', override: 'o2', reason: undefined });
  });
});

describe('backups: ordered, only inside their windows, never the primary', () => {
  const c = compiled(
    base({
      rotations: [
        { id: 'r', participants: ['a', 'b'], period: { unit: 'week' }, handoffTime: '07:00', startDate: '2025-01-06' },
        { id: 'bk', participants: ['bk1', 'b'], period: { unit: 'week' }, handoffTime: '07:00', startDate: '2025-01-06' },
      ],
      roles: [
        {
          id: 'ob',
          name: 'OB',
          layers: [{ id: 'l', rotation: 'r' }],
          backups: [
            { id: 'late', rotation: 'bk', windows: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], start: '22:00', end: '07:00' }] },
            { id: 'always', practitioner: 'bk2' },
          ],
        },
      ],
    }),
  );
  it.each([
    ['2025-01-06T21:59', ['bk2'], 'before 22:00 only the all-day backup'],
    ['2025-01-06T22:00', ['bk1', 'bk2'], 'after 22:00 the late backup first'],
    ['2025-01-07T06:59', ['bk1', 'bk2'], 'until 07:00'],
    ['2025-01-13T23:00', ['bk2'], 'week 2: the late backup is b, the primary, so skipped'],
  ])('at %s -> %j (%s)', (at, want) => {
    const r = oncall(c, 'ob', local(at, NY));
    expect(r.ok && r.value.backups.map((b) => b.practitioner.id)).toEqual(want);
  });
  it('skips a backup who is the primary', () => {
    const c2 = compiled(
      base({
        roles: [{ id: 'ob', name: 'OB', layers: [{ id: 'l', practitioner: 'a' }], backups: [{ id: 'b1', practitioner: 'a' }, { id: 'b2', practitioner: 'b' }] }],
      }),
    );
    const r = oncall(c2, 'ob', local('2025-01-06T12:00', NY));
    expect(r.ok && r.value.backups.map((b) => b.practitioner.id)).toEqual(['b']);
  });
});

describe('errors are data', () => {
  const c = compiled(base({ roles: [{ id: 'ob', name: 'OB', layers: [] }] }));
  it.each([
    ['unknown role', 'nope', {}, 'ERR_ROLE_UNKNOWN'],
    ['unknown policy', 'ob', { policy: 'nope' }, 'ERR_POLICY_UNKNOWN'],
  ])('%s -> %s', (_what, role, opts, code) => {
    const r = oncall(c, role, 0, opts);
    expect(r.ok ? null : r.error.code).toBe(code);
  });
});

describe('instants are validated', () => {
  const c = compiled(base({ roles: [{ id: 'ob', name: 'OB', layers: [] }] }));
  it.each([[Number.NaN], [Number.POSITIVE_INFINITY]])('%s -> ERR_INSTANT_INVALID', (at) => {
    const r = oncall(c, 'ob', at);
    expect(r.ok ? null : r.error.code).toBe('ERR_INSTANT_INVALID');
  });
});
