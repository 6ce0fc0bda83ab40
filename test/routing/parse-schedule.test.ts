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

  const layers = (s: { roles: Record<string, unknown>[] }): Record<string, unknown>[] => (s.roles[0] as { layers: Record<string, unknown>[] }).layers;
  const rotation = (s: { rotations: Record<string, unknown>[] }, i: number): Record<string, unknown> => s.rotations[i] as Record<string, unknown>;
  it.each([
    ['bad hand-off time', 'rotations[0].handoffTime', broken((s) => (rotation(s, 0).handoffTime = '7am'))],
    ['bad start date', 'rotations[1].startDate', broken((s) => (rotation(s, 1).startDate = '03/03/2025'))],
    ['a start date that does not exist', 'rotations[1].startDate', broken((s) => (rotation(s, 1).startDate = '2025-02-30'))],
    ['layer with two sources', 'roles[0].layers[0]', broken((s) => (layers(s)[0] = { id: 'x', rotation: 'r', practitioner: 'p' }))],
    ['bad weekday', 'roles[0].layers[1].windows[0].days[0]', broken((s) => (layers(s)[1] = { id: 'n', rotation: 'ob-nights', windows: [{ days: ['monday'], start: '19:00', end: '07:00' }] }))],
    ['unknown top-level key', 'extra', broken((s) => (s.extra = 1))],
    ['an unknown key that is not a plain name (shown as ?)', '?', broken((s) => (s['<b>x</b>'] = 1))],
    ['missing time zone', 'timeZone', broken((s) => delete s.timeZone)],
    ['a per-period rotation without handoffTime', 'rotations[0].handoffTime', broken((s) => delete rotation(s, 0).handoffTime)],
    ['a per-period rotation with windows', 'rotations[0].windows', broken((s) => (rotation(s, 0).windows = [{ days: ['mon'], start: '08:00', end: '17:00' }]))],
    ['a per-window rotation without windows', 'rotations[0].windows', broken((s) => Object.assign(rotation(s, 0), { advance: 'per-window', period: undefined, handoffTime: undefined }))],
    ['a per-window rotation with a period', 'rotations[0].period', broken((s) => Object.assign(rotation(s, 0), { advance: 'per-window', handoffTime: undefined, windows: [{ days: ['mon'], start: '08:00', end: '08:00' }] }))],
    ['a shift with end and duration', 'roles[0].layers[0].shifts[0].end', broken((s) => (layers(s)[0] = { id: 'x', shifts: [{ practitioner: 'dr-chen', start: '2025-03-09T07:00', end: '2025-03-09T19:00', duration: 'PT12H' }] }))],
    ['a shift with neither', 'roles[0].layers[0].shifts[0].end', broken((s) => (layers(s)[0] = { id: 'x', shifts: [{ practitioner: 'dr-chen', start: '2025-03-09T07:00' }] }))],
    ['a shift with a bad duration', 'roles[0].layers[0].shifts[0].duration', broken((s) => (layers(s)[0] = { id: 'x', shifts: [{ practitioner: 'dr-chen', start: '2025-03-09T07:00', duration: '12 hours' }] }))],
    ['a shift starting at 24:00', 'roles[0].layers[0].shifts[0].start', broken((s) => (layers(s)[0] = { id: 'x', shifts: [{ practitioner: 'dr-chen', start: '2025-03-09T24:00', duration: 'PT1H' }] }))],
  ])('%s -> issue at %s', (_what, path, text) => {
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
    ['x.json', 'ERR_SCHEDULE_SYNTAX', '{ nope'],
    ['x.yaml', 'ERR_SCHEDULE_SYNTAX', 'a: [1, 2'],
    ['x.toml', 'ERR_SCHEDULE_FORMAT_UNSUPPORTED', 'a = 1'],
  ])('%s -> %s, without quoting the text', (name, code, text) => {
    const r = parseScheduleFile(text, name);
    expect(r.ok ? null : r.error.code).toBe(code);
    expect(JSON.stringify(r.ok ? {} : r.error)).not.toMatch(/nope|\[1, 2|a = 1/);
  });
});

describe('parseScheduleFile: hostile input is refused as data, never a crash', () => {
  const valid = JSON.parse(EXAMPLE_TEXT) as Record<string, unknown>;
  it('JSON nested 50,000 deep', () => {
    const r = parseScheduleFile(`${'['.repeat(50_000)}${']'.repeat(50_000)}`, 'deep.json');
    expect(r.ok ? null : r.error.code).toBe('ERR_SCHEDULE_TOO_COMPLEX');
  });

  it('brackets inside strings do not count as nesting', () => {
    const r = parseScheduleFile(JSON.stringify({ ...valid, organizations: [{ id: 'o', name: '['.repeat(100) }] }), 'ok.json');
    expect(r.ok).toBe(true);
  });

  it('a YAML alias bomb (a billion laughs in 520 bytes)', () => {
    const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (const [i, name] of ['b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'].entries()) {
      const prev = String.fromCharCode(97 + i);
      lines.push(`${name}: &${name} [*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev}]`);
    }
    const r = parseScheduleFile(lines.join('\n'), 'bomb.yaml');
    expect(r.ok ? null : r.error.code).toBe('ERR_SCHEDULE_TOO_COMPLEX');
  });

  it('YAML nested 50,000 deep (flow style), before the YAML parser sees it', () => {
    const r = parseScheduleFile(`x: ${'['.repeat(50_000)}${']'.repeat(50_000)}`, 'deep.yaml');
    expect(r.ok ? null : r.error.code).toBe('ERR_SCHEDULE_TOO_COMPLEX');
  });

  it('YAML brackets in quoted scalars and comments do not count', () => {
    const r = parseScheduleFile(`version: 1\ntimeZone: UTC # ${'['.repeat(40)}\npractitioners: [{id: a, name: "${'['.repeat(40)}"}, {id: b, name: '${'{'.repeat(40)}'}]\nroles: []\n`, 'ok.yaml');
    expect(r.ok).toBe(true);
  });
});
