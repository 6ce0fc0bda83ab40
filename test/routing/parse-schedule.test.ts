import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseScheduleFile } from '../../src/routing/index.js';
import { EXAMPLE_TEXT, exampleSchedule } from './example.js';

describe('parseScheduleFile', () => {
  it('reads the documented example', () => {
    const s = exampleSchedule();
    expect(s.roles.map((r) => r.id)).toEqual(['ob-oncall', 'cardio-oncall']);
  });

  it('reads the same schedule from YAML', () => {
    const yaml = parseScheduleFile(stringify(JSON.parse(EXAMPLE_TEXT)), 'example.yaml');
    expect(yaml.ok && yaml.value).toEqual(exampleSchedule());
  });

  const valid = JSON.parse(EXAMPLE_TEXT) as Record<string, unknown>;
  const broken = (patch: (s: Record<string, unknown> & { rotations: Record<string, unknown>[]; roles: Record<string, unknown>[] }) => void): string => {
    const s = structuredClone(valid) as Record<string, unknown> & { rotations: Record<string, unknown>[]; roles: Record<string, unknown>[] };
    patch(s);
    return JSON.stringify(s);
  };

  it.each([
    ['bad hand-off time', broken((s) => ((s.rotations[0] as Record<string, unknown>).handoffTime = '7am')), 'rotations[0].handoffTime'],
    ['bad start date', broken((s) => ((s.rotations[1] as Record<string, unknown>).startDate = '03/03/2025')), 'rotations[1].startDate'],
    ['layer with two sources', broken((s) => ((s.roles[0] as { layers: Record<string, unknown>[] }).layers[0] = { id: 'x', rotation: 'r', practitioner: 'p' })), 'roles[0].layers[0]'],
    ['bad weekday', broken((s) => ((s.roles[0] as { layers: Record<string, unknown>[] }).layers[1] = { id: 'n', rotation: 'ob-nights', windows: [{ days: ['monday'], start: '19:00', end: '07:00' }] })), 'roles[0].layers[1].windows[0].days[0]'],
    ['unknown top-level key', broken((s) => (s.extra = 1)), '(root)'],
    ['missing time zone', broken((s) => delete s.timeZone), 'timeZone'],
  ])('%s -> issue at %s', (_what, text, path) => {
    const r = parseScheduleFile(text, 'bad.json');
    expect(r.ok ? null : r.error.code).toBe('ERR_SCHEDULE_INVALID');
    expect(r.ok ? [] : r.error.issues.map((i) => i.path)).toContain(path);
  });

  it('lists every problem at once', () => {
    const text = broken((s) => {
      (s.rotations[0] as Record<string, unknown>).handoffTime = '25:00';
      (s.rotations[1] as Record<string, unknown>).period = { unit: 'month' };
    });
    const r = parseScheduleFile(text, 'bad.json');
    expect(r.ok ? [] : r.error.issues.map((i) => i.path)).toEqual(['rotations[0].handoffTime', 'rotations[1].period.unit']);
  });

  it.each([
    ['x.json', '{ nope', 'ERR_SCHEDULE_SYNTAX'],
    ['x.yaml', 'a: [1, 2', 'ERR_SCHEDULE_SYNTAX'],
    ['x.toml', 'a = 1', 'ERR_SCHEDULE_FORMAT_UNSUPPORTED'],
  ])('%s -> %s', (name, text, code) => {
    const r = parseScheduleFile(text, name);
    expect(r.ok ? null : r.error.code).toBe(code);
  });
});
