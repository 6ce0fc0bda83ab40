import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  compileSchedule,
  importICalendar,
  oncall,
  parseScheduleFile,
  withImportedShifts,
  type CompiledSchedule,
  type Schedule,
} from '../../src/routing/index.js';
import { local, MINUTE } from './helpers.js';

const NY = 'America/New_York';
const fixture = (name: string): string => readFileSync(new URL(`../../fixtures/schedules/${name}`, import.meta.url), 'utf8');

const equivalent = ((): Schedule => {
  const p = parseScheduleFile(fixture('ob-feed.equivalent.json'), 'ob-feed.equivalent.json');
  if (!p.ok) throw new Error(p.error.message);
  return p.value;
})();
const compileOk = (s: Schedule): CompiledSchedule => {
  const c = compileSchedule(s);
  if (!c.ok) throw new Error(JSON.stringify(c.error.issues));
  return c.value;
};

const FROM = local('2025-03-03T07:00', NY);
const TO = local('2025-04-14T07:00', NY);
const mapping = JSON.parse(fixture('ob-feed.mapping.json')) as unknown;

describe('iCalendar import (RRULE, EXDATE, RECURRENCE-ID, TZID, UTC)', () => {
  const imported = importICalendar(fixture('ob-feed.ics'), mapping, { from: FROM - 7 * 24 * 3_600_000, to: TO, defaultTimeZone: NY });
  if (!imported.ok) throw new Error(imported.error.message);

  it('expands the feed into six weekly shifts with the exception and the cover applied', () => {
    expect(imported.value.shifts.map((s) => [s.practitioner, new Date(s.start).toISOString(), new Date(s.end).toISOString()])).toEqual([
      ['dr-a', '2025-03-03T12:00:00.000Z', '2025-03-10T11:00:00.000Z'], // 167 h: spring-forward Mar 9
      ['dr-b', '2025-03-10T11:00:00.000Z', '2025-03-17T11:00:00.000Z'],
      ['dr-c', '2025-03-17T11:00:00.000Z', '2025-03-24T11:00:00.000Z'],
      ['dr-b', '2025-03-24T11:00:00.000Z', '2025-03-31T11:00:00.000Z'], // RECURRENCE-ID: swap
      ['dr-b', '2025-03-31T11:00:00.000Z', '2025-04-07T11:00:00.000Z'],
      ['dr-a', '2025-04-07T11:00:00.000Z', '2025-04-14T11:00:00.000Z'], // EXDATE + one-off (UTC)
    ]);
  });

  it('reports the unmapped event by its line, instead of dropping it silently (and without quoting it)', () => {
    const line = fixture('ob-feed.ics').split('\n').findIndex((l) => l.startsWith('UID:staff-meeting')); // BEGIN:VEVENT is the line before
    expect(imported.value.skipped).toEqual([{ path: `VEVENT at line ${line}, occurrence 2025-03-12T16:00:00Z`, message: 'no mapping rule matches the event' }]);
  });

  it('answers exactly like the equivalent JSON schedule at every 15 minutes of the six weeks', () => {
    const json = compileOk(equivalent);
    const fromIcal = compileOk(withImportedShifts({ ...equivalent, rotations: [], overrides: [], roles: equivalent.roles.map((r) => ({ ...r, layers: [] })) }, imported.value));
    const diffs: string[] = [];
    for (let t = FROM - 60 * MINUTE; t < TO + 60 * MINUTE; t += 15 * MINUTE) {
      const a = oncall(json, 'ob-oncall', t);
      const b = oncall(fromIcal, 'ob-oncall', t);
      const pa = a.ok ? (a.value.primary?.practitioner.id ?? null) : 'error';
      const pb = b.ok ? (b.value.primary?.practitioner.id ?? null) : 'error';
      // Outside the feed the JSON rotation keeps going; the feed has nothing: compare inside only.
      if (t >= FROM && t < TO && pa !== pb) diffs.push(`${new Date(t).toISOString()} json=${pa} ical=${pb}`);
      if ((t < FROM || t >= TO) && pb !== null) diffs.push(`${new Date(t).toISOString()} ical covers outside the feed`);
    }
    expect(diffs).toEqual([]);
  });

  it.each([
    ['not a calendar', 'ERR_ICAL_INVALID', 'hello', {}],
    ['bad mapping', 'ERR_ICAL_INVALID', fixture('ob-feed.ics'), { rules: [], practitioner: { from: 'summary' } }],
    ['syntax error', 'ERR_ICAL_SYNTAX', 'BEGIN:VCALENDAR\nBROKEN SECRET LINE\nEND:VCALENDAR', mapping],
    ['two calendars', 'ERR_ICAL_SYNTAX', 'BEGIN:VCALENDAR\nEND:VCALENDAR\nBEGIN:VCALENDAR\nEND:VCALENDAR', mapping],
    ['unclosed component', 'ERR_ICAL_SYNTAX', 'BEGIN:VCALENDAR\nBEGIN:VEVENT\nEND:VCALENDAR', mapping],
  ])('%s -> %s', (_what, code, text, map) => {
    const r = importICalendar(text, map, { from: FROM, to: TO, defaultTimeZone: NY });
    expect(r.ok ? 'ok' : r.error.code).toBe(code);
    expect(JSON.stringify(r)).not.toContain('SECRET');
  });

  it('names the line of a syntax error, not its text', () => {
    const r = importICalendar('BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBROKEN SECRET LINE\r\nEND:VCALENDAR', mapping, { from: FROM, to: TO, defaultTimeZone: NY });
    expect(r.ok ? null : r.error.issues).toEqual([{ path: 'line 3', message: 'not a content line (name:value)' }]);
  });

  it('maps practitioners from SUMMARY text with a pattern', () => {
    const ics = [
      'BEGIN:VCALENDAR',
      'BEGIN:VEVENT',
      'UID:x',
      'SUMMARY:Peds call: Dr. Casey C',
      'DTSTART;TZID=Europe/Berlin:20250330T020000',
      'DTEND;TZID=Europe/Berlin:20250331T020000',
      'END:VEVENT',
      'END:VCALENDAR',
    ].join('\r\n');
    const r = importICalendar(
      ics,
      { rules: [{ summary: '^peds call', role: 'peds' }], practitioner: { from: 'summary', pattern: 'Dr\\. (.+)$', map: { 'casey c': 'dr-c' } } },
      { from: Date.parse('2025-01-01'), to: Date.parse('2026-01-01'), defaultTimeZone: NY },
    );
    // 02:00 does not exist in Berlin on 2025-03-30: read with the offset before the gap, 02:00+01:00 = 01:00Z.
    expect(r.ok && r.value.shifts.map((s) => [s.role, s.practitioner, new Date(s.start).toISOString()])).toEqual([
      ['peds', 'dr-c', '2025-03-30T01:00:00.000Z'],
    ]);
  });
});
