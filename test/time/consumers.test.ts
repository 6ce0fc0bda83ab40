// One rule, many readers: every place the gateway reads a local time or a date delegates to src/time.
// The rule itself (RFC 5545 3.3.5 for gaps and overlaps; which dates exist) is tested once, in
// src/time/*.test.ts; here each consumer is shown to give exactly src/time's answer, and to refuse
// what src/time refuses.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { toFhirDateTime, toFhirInstant } from '../../src/mapping/index.js';
import { dateRange, parseDateParam } from '../../src/fhir/date-param.js';
import { compileSchedule, importICalendar, oncall, parseSchedule } from '../../src/routing/index.js';
import { parseInstantArg } from '../../src/oncall/index.js';
import { wallTime, zoneClock } from '../../src/time/index.js';

const NY = 'America/New_York';
const clock = zoneClock(NY);

// [local wall time in New York, what it is]: a gap time, the start of the gap, an ambiguous time, a plain one
const CASES: [number[], string][] = [
  [[2025, 3, 9, 2, 30], 'in the spring-forward gap'],
  [[2025, 3, 9, 2, 0], 'the first minute of the gap'],
  [[2025, 11, 2, 1, 30], 'in the fall-back overlap'],
  [[2025, 7, 4, 12, 0], 'an ordinary summer time'],
];
const p2 = (n: number): string => String(n).padStart(2, '0');

describe.each(CASES)('%j (%s): every consumer gives src/time\'s instant', (fields) => {
  const [y, mo, d, h, mi] = fields as [number, number, number, number, number];
  const want = clock.toInstant(wallTime(y, mo, d, h, mi));
  const iso = `${y}-${p2(mo)}-${p2(d)}T${p2(h)}:${p2(mi)}`;

  it('mapping: an HL7 DTM without an offset in the site zone (toFhirDateTime / toFhirInstant)', () => {
    expect(Date.parse(toFhirDateTime(`${y}${p2(mo)}${p2(d)}${p2(h)}${p2(mi)}`, NY) ?? '')).toBe(want);
    expect(Date.parse(toFhirInstant(`${y}${p2(mo)}${p2(d)}${p2(h)}${p2(mi)}00`, NY) ?? '')).toBe(want);
  });

  it('routing: a schedule override written in local time', () => {
    const s = parseSchedule({ version: 1, timeZone: NY, practitioners: [{ id: 'a', name: 'A' }], roles: [{ id: 'r', name: 'R', layers: [] }], overrides: [{ role: 'r', practitioner: 'a', start: iso, duration: 'PT5H' }] });
    if (!s.ok) throw new Error(s.error.message);
    const c = compileSchedule(s.value);
    if (!c.ok) throw new Error(c.error.message);
    const r = oncall(c.value, 'r', want);
    expect(r.ok && r.value.primary?.start).toBe(want);
  });

  it('routing: an iCalendar DTSTART with a TZID', () => {
    const ics = ['BEGIN:VCALENDAR', 'BEGIN:VEVENT', 'UID:u', 'SUMMARY:call', `DTSTART;TZID=${NY}:${iso.replace(/[-:]/g, '')}00`, 'DURATION:PT1H', 'END:VEVENT', 'END:VCALENDAR'].join('\r\n');
    const r = importICalendar(ics, { rules: [{ summary: 'call', role: 'r' }], practitioner: { from: 'summary', map: { call: 'a' } } }, { from: want - 86_400_000, to: want + 86_400_000, defaultTimeZone: 'UTC' });
    expect(r.ok && r.value.shifts[0]?.start).toBe(want);
  });

  it('oncall / CLI: an instant typed without an offset (--at, ?at=)', () => {
    expect(parseInstantArg(iso, clock)).toBe(want);
  });
});

describe('impossible dates are refused by every reader', () => {
  it.each([
    ['2024-00-15', '20240015'],
    ['2024-02-30', '20240230'],
    ['2023-02-29', '20230229'],
    ['2024-13-01', '20241301'],
  ])('%s', (date, dtm) => {
    expect(parseDateParam(date)).toBeUndefined(); // FHIR _lastUpdated=2024-00-15 used to be read as 2023-12-15
    expect(parseDateParam(`ge${date}T10:00:00Z`)).toBeUndefined();
    expect(toFhirDateTime(dtm, NY)).toBeUndefined();
    expect(parseInstantArg(date, clock)).toBeUndefined();
    expect(parseInstantArg(`${date}T07:00`, clock)).toBeUndefined();
    const s = parseSchedule({ version: 1, timeZone: NY, practitioners: [], roles: [], overrides: [{ role: 'r', practitioner: 'a', start: `${date}T07:00`, duration: 'PT1H' }] });
    expect(s.ok ? null : s.error.issues.map((i) => i.path)).toEqual(['overrides[0].start']);
    const ics = ['BEGIN:VCALENDAR', 'BEGIN:VEVENT', 'UID:u', 'SUMMARY:call', `DTSTART;TZID=${NY}:${dtm}T070000`, 'DURATION:PT1H', 'END:VEVENT', 'END:VCALENDAR'].join('\r\n');
    const r = importICalendar(ics, { rules: [{ summary: 'call', role: 'r' }], practitioner: { from: 'summary', map: { call: 'a' } } }, { from: Date.UTC(2023, 0, 1), to: Date.UTC(2025, 0, 1), defaultTimeZone: 'UTC' });
    expect(r.ok && [r.value.shifts.length, r.value.skipped.map((i) => i.message)]).toEqual([0, ['a DTSTART, DTEND, RECURRENCE-ID, EXDATE or RDATE is not a real date and time']]);
  });

  it('hour 24 is refused everywhere', () => {
    expect(parseDateParam('2024-03-10T24:00:00Z')).toBeUndefined();
    expect(toFhirDateTime('202403102400', NY)).toBeUndefined();
    expect(parseInstantArg('2024-03-10T24:00', clock)).toBeUndefined();
  });

  it('the FHIR date range of a valid value is unchanged: a day, a month, a second, microseconds', () => {
    expect(dateRange('2024-02-29')).toEqual({ lo: Date.UTC(2024, 1, 29) * 1000, hi: Date.UTC(2024, 2, 1) * 1000 });
    expect(dateRange('2024-12')).toEqual({ lo: Date.UTC(2024, 11, 1) * 1000, hi: Date.UTC(2025, 0, 1) * 1000 });
    expect(dateRange('2024-03-10T10:00:00+01:00')).toEqual({ lo: Date.UTC(2024, 2, 10, 9) * 1000, hi: Date.UTC(2024, 2, 10, 9, 0, 1) * 1000 });
    expect(dateRange('2024-03-10T10:00:00.123456Z')).toEqual({ lo: Date.UTC(2024, 2, 10, 10, 0, 0, 123) * 1000 + 456, hi: Date.UTC(2024, 2, 10, 10, 0, 0, 123) * 1000 + 457 });
  });
});

describe('no second implementation: zone arithmetic lives in src/time only', () => {
  const files = (dir: string): string[] =>
    readdirSync(dir).flatMap((f) => {
      const p = join(dir, f);
      return statSync(p).isDirectory() ? files(p) : p.endsWith('.ts') && !p.endsWith('.test.ts') ? [p] : [];
    });
  const SRC = new URL('../../src/', import.meta.url).pathname;

  it('nothing outside src/time imports luxon, formats with a time zone or reads the process zone', () => {
    const offenders = files(SRC)
      .filter((p) => !p.includes('/src/time/'))
      .filter((p) => {
        const text = readFileSync(p, 'utf8');
        // src/mapping/config.ts checks that a site zone name exists with Intl (a name check, no arithmetic)
        const intl = /timeZone(Name)?\s*:/.test(text) && /Intl\.DateTimeFormat/.test(text) && !p.endsWith('/src/mapping/config.ts');
        return /from 'luxon'/.test(text) || intl || /getTimezoneOffset|toLocaleString\(/.test(text);
      })
      .map((p) => p.slice(SRC.length));
    expect(offenders).toEqual([]);
  });
});
