import { describe, expect, it } from 'vitest';
import { compileSchedule, lintSchedule, type ScheduleInput } from '../../src/routing/index.js';
import { exampleSchedule } from './example.js';
import { local, people, schedule } from './helpers.js';

const NY = 'America/New_York';
const FROM = local('2025-03-03T07:00', NY);
const TO = local('2025-03-17T07:00', NY);

const lint = (input: ScheduleInput) => lintSchedule(schedule(input), FROM, TO);
const base: ScheduleInput = {
  version: 1,
  timeZone: NY,
  practitioners: people('a', 'b'),
  rotations: [{ id: 'r', participants: ['a', 'b'], period: { unit: 'week' }, handoffTime: '07:00', startDate: '2025-03-03' }],
  roles: [{ id: 'ob', name: 'OB', layers: [{ id: 'l', rotation: 'r' }] }],
};

describe('lintSchedule', () => {
  it('finds nothing wrong with the documented example over its first two weeks', () => {
    expect(lintSchedule(exampleSchedule(), FROM, TO)).toEqual([]);
  });

  it('reports a gap with local day and time, explicitly', () => {
    const findings = lint({
      ...base,
      roles: [
        {
          id: 'ob-nights',
          name: 'OB nights',
          layers: [
            { id: 'wk', rotation: 'r', windows: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '19:00', end: '07:00' }] },
            { id: 'we', practitioner: 'a', windows: [{ days: ['sat', 'sun'], start: '08:00', end: '08:00' }] },
          ],
        },
      ],
    }).filter((f) => f.code === 'GAP');
    expect(findings.map((f) => f.message)).toContain('Sat 2025-03-08 07:00–08:00 nobody covers OB nights (ob-nights)');
  });

  it.each<[string, Partial<ScheduleInput>, string, string]>([
    ['unknown person in a rotation', { rotations: [{ id: 'r', participants: ['a', 'zed'], period: { unit: 'week' }, handoffTime: '07:00', startDate: '2025-03-03' }] }, 'UNKNOWN_PRACTITIONER', 'rotations[0].participants[1]'],
    ['unknown rotation', { roles: [{ id: 'ob', name: 'OB', layers: [{ id: 'l', rotation: 'nope' }] }] }, 'UNKNOWN_ROTATION', 'roles[0].layers[0].rotation'],
    ['unknown person in an override', { overrides: [{ role: 'ob', practitioner: 'zed', start: '2025-03-04T00:00', end: '2025-03-05T00:00' }] }, 'UNKNOWN_PRACTITIONER', 'overrides[0].practitioner'],
    ['override for an unknown role', { overrides: [{ role: 'peds', practitioner: 'a', start: '2025-03-04T00:00', end: '2025-03-05T00:00' }] }, 'UNKNOWN_ROLE', 'overrides[0].role'],
    ['override ending before it starts', { overrides: [{ role: 'ob', practitioner: 'a', start: '2025-03-05T00:00', end: '2025-03-04T00:00' }] }, 'INVALID_INTERVAL', 'overrides[0]'],
    ['unknown policy', { roles: [{ id: 'ob', name: 'OB', escalationPolicy: 'nope', layers: [] }] }, 'UNKNOWN_POLICY', 'roles[0].escalationPolicy'],
    ['invalid zone', { timeZone: 'Mars/Olympus' }, 'INVALID_TIME_ZONE', 'timeZone'],
    ['duplicate practitioner', { practitioners: [...people('a', 'b'), ...people('a')] }, 'DUPLICATE_ID', 'practitioners[2].id'],
  ])('%s -> error %s at %s, and compile refuses', (_what, patch, code, path) => {
    const input = { ...base, ...patch };
    expect(lint(input).filter((f) => f.severity === 'error').map((f) => [f.code, f.path])).toContainEqual([code, path]);
    const c = compileSchedule(schedule(input));
    expect(c.ok ? null : c.error.code).toBe('ERR_SCHEDULE_REFERENCE');
  });

  it.each<[string, Partial<ScheduleInput>, string]>([
    ['empty rotation', { rotations: [{ id: 'r', participants: [], period: { unit: 'week' }, handoffTime: '07:00', startDate: '2025-03-03' }] }, 'EMPTY_ROTATION'],
    ['person without a channel', { practitioners: [{ id: 'a', name: 'A' }, ...people('b')] }, 'NO_CHANNEL'],
    [
      'overlapping overrides',
      {
        overrides: [
          { role: 'ob', practitioner: 'a', start: '2025-03-04T00:00', end: '2025-03-05T00:00' },
          { role: 'ob', practitioner: 'b', start: '2025-03-04T12:00', end: '2025-03-06T00:00' },
        ],
      },
      'OVERLAP',
    ],
  ])('%s -> warning %s', (_what, patch, code) => {
    expect(lint({ ...base, ...patch }).filter((f) => f.severity === 'warning').map((f) => f.code)).toContain(code);
  });

  it('an empty rotation is a gap too, never a silent default', () => {
    const gaps = lint({ ...base, rotations: [{ id: 'r', participants: [], period: { unit: 'week' }, handoffTime: '07:00', startDate: '2025-03-03' }] }).filter((f) => f.code === 'GAP');
    expect(gaps.map((g) => [g.start, g.end])).toEqual([[FROM, TO]]);
  });
});

describe('lint and coverage ranges fail closed', () => {
  it('an empty or over-long range is an error finding, not silence', () => {
    expect(lintSchedule(schedule(base), TO, FROM).map((f) => f.code)).toEqual(['RANGE_INVALID']);
  });
});
