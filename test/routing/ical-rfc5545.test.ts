// iCalendar import follows RFC 5545 and src/time's one rule: a DTSTART in a DST gap takes the offset
// before the gap (3.3.5), DURATION's hours/minutes/seconds are exact and its days/weeks nominal
// (3.3.6), and the feed's own VTIMEZONE rules are not a second zone engine.
import { describe, expect, it } from 'vitest';
import { compileSchedule, importICalendar, oncall, scheduleSchema, type ICalImport } from '../../src/routing/index.js';
import { people } from './helpers.js';

const NY = 'America/New_York';
const FROM = Date.parse('2025-01-01T00:00:00Z');
const TO = Date.parse('2026-01-01T00:00:00Z');
const MAPPING = { rules: [{ categories: 'CALL', role: 'r' }], practitioner: { from: 'attendee', map: { 'a@x.example': 'dr-a', 'b@x.example': 'dr-b' } } };

const VTIMEZONE_NY = (tzid: string): string[] => [
  'BEGIN:VTIMEZONE', `TZID:${tzid}`,
  'BEGIN:DAYLIGHT', 'TZOFFSETFROM:-0500', 'TZOFFSETTO:-0400', 'DTSTART:19700308T020000', 'RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU', 'END:DAYLIGHT',
  'BEGIN:STANDARD', 'TZOFFSETFROM:-0400', 'TZOFFSETTO:-0500', 'DTSTART:19701101T020000', 'RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU', 'END:STANDARD',
  'END:VTIMEZONE',
];

const feed = (events: string[][], head: string[] = []): string =>
  ['BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//test//EN', ...head, ...events.flatMap((e, i) => ['BEGIN:VEVENT', `UID:e${i}@x.example`, 'CATEGORIES:CALL', 'ATTENDEE:mailto:a@x.example', ...e, 'END:VEVENT']), 'END:VCALENDAR'].join('\r\n');

const spans = (r: ReturnType<typeof importICalendar>): [string, string][] => {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value.shifts.map((s) => [new Date(s.start).toISOString(), new Date(s.end).toISOString()]);
};
const run = (text: string, mapping: unknown = MAPPING, maxOccurrences?: number) =>
  importICalendar(text, mapping, { from: FROM, to: TO, defaultTimeZone: NY, ...(maxOccurrences === undefined ? {} : { maxOccurrences }) });

describe('RFC 5545 times and durations', () => {
  it.each([
    ['02:30 on the spring-forward day starts at 03:30 EDT (the offset before the gap)',
      ['DTSTART;TZID=America/New_York:20250309T023000', 'DURATION:PT1H'], ['2025-03-09T07:30:00.000Z', '2025-03-09T08:30:00.000Z']],
    ['DURATION:PT1H from the first 01:30 of the fall-back night ends at the second 01:30 (exact)',
      ['DTSTART;TZID=America/New_York:20251102T013000', 'DURATION:PT1H'], ['2025-11-02T05:30:00.000Z', '2025-11-02T06:30:00.000Z']],
    ['DURATION:PT86400S across fall back is 24 elapsed hours (ends 11:00 EST)',
      ['DTSTART;TZID=America/New_York:20251101T120000', 'DURATION:PT86400S'], ['2025-11-01T16:00:00.000Z', '2025-11-02T16:00:00.000Z']],
    ['DURATION:P1D across fall back is one calendar day (ends 12:00 EST, 25 h)',
      ['DTSTART;TZID=America/New_York:20251101T120000', 'DURATION:P1D'], ['2025-11-01T16:00:00.000Z', '2025-11-02T17:00:00.000Z']],
    ['DTEND inside the gap is read with the offset before it too',
      ['DTSTART;TZID=America/New_York:20250308T193000', 'DTEND;TZID=America/New_York:20250309T023000'], ['2025-03-09T00:30:00.000Z', '2025-03-09T07:30:00.000Z']],
    ['a UTC DTSTART with DURATION:P1D is 24 h (UTC has no DST)',
      ['DTSTART:20250309T000000Z', 'DURATION:P1D'], ['2025-03-09T00:00:00.000Z', '2025-03-10T00:00:00.000Z']],
    ['a floating DTSTART is read in the schedule zone',
      ['DTSTART:20250309T023000', 'DURATION:PT30M'], ['2025-03-09T07:30:00.000Z', '2025-03-09T08:00:00.000Z']],
  ])('%s', (_what, event, expected) => {
    expect(spans(run(feed([event])))).toEqual([expected]);
  });

  it('a daily 02:30 series: the spring-forward occurrence starts 03:30 EDT, the others at 02:30', () => {
    const r = run(feed([['DTSTART;TZID=America/New_York:20250308T023000', 'DURATION:PT1H', 'RRULE:FREQ=DAILY;COUNT=3']]));
    expect(spans(r).map(([s]) => s)).toEqual(['2025-03-08T07:30:00.000Z', '2025-03-09T07:30:00.000Z', '2025-03-10T06:30:00.000Z']);
  });

  it('a shift gives the same instants from iCalendar (DURATION) and from a JSON schedule (duration)', () => {
    const ical = spans(run(feed([['DTSTART;TZID=America/New_York:20250309T023000', 'DURATION:P1DT2H']])));
    const json = compileSchedule(scheduleSchema.parse({
      version: 1, timeZone: NY, practitioners: people('dr-a'),
      roles: [{ id: 'r', name: 'R', layers: [{ id: 'l', shifts: [{ practitioner: 'dr-a', start: '2025-03-09T02:30', duration: 'P1DT2H' }] }] }],
    }));
    if (!json.ok) throw new Error(json.error.message);
    const hit = oncall(json.value, 'r', Date.parse(ical[0]![0]));
    expect(hit.ok && hit.value.primary && [new Date(hit.value.primary.start).toISOString(), new Date(hit.value.primary.end).toISOString()]).toEqual(ical[0]);
  });
});

describe('one zone engine: the feed\'s VTIMEZONE is not used, UTC values are moved into the event\'s zone', () => {
  const weekly = (tzid: string, extra: string[] = []): string[] => [
    `DTSTART;TZID=${tzid}:20250303T070000`, `DTEND;TZID=${tzid}:20250310T070000`, ...extra,
  ];

  it('an Outlook feed (Windows TZID + its VTIMEZONE) and a Google feed (IANA TZID + VTIMEZONE) give the same shifts', () => {
    const google = run(feed([weekly(NY, ['RRULE:FREQ=WEEKLY;COUNT=6'])], VTIMEZONE_NY(NY)));
    const outlook = run(
      feed([weekly('"Eastern Standard Time"', ['RRULE:FREQ=WEEKLY;COUNT=6'])], VTIMEZONE_NY('Eastern Standard Time')),
      { ...MAPPING, timeZones: { 'Eastern Standard Time': NY } },
    );
    const bare = run(feed([weekly(NY, ['RRULE:FREQ=WEEKLY;COUNT=6'])]));
    expect(spans(outlook)).toEqual(spans(google));
    expect(spans(bare)).toEqual(spans(google));
    // hand-offs at 07:00 local every Monday, across the spring-forward week
    expect(spans(google).map(([s]) => s)).toEqual(['2025-03-03T12:00:00.000Z', '2025-03-10T11:00:00.000Z', '2025-03-17T11:00:00.000Z', '2025-03-24T11:00:00.000Z', '2025-03-31T11:00:00.000Z', '2025-04-07T11:00:00.000Z']);
  });

  it('a stale VTIMEZONE (pre-2007 US rules) changes nothing: the IANA zone decides', () => {
    const stale = ['BEGIN:VTIMEZONE', `TZID:${NY}`, 'BEGIN:DAYLIGHT', 'TZOFFSETFROM:-0500', 'TZOFFSETTO:-0400', 'DTSTART:19700405T020000', 'RRULE:FREQ=YEARLY;BYMONTH=4;BYDAY=1SU', 'END:DAYLIGHT',
      'BEGIN:STANDARD', 'TZOFFSETFROM:-0400', 'TZOFFSETTO:-0500', 'DTSTART:19701025T020000', 'RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU', 'END:STANDARD', 'END:VTIMEZONE'];
    const events = [weekly(NY, ['RRULE:FREQ=WEEKLY;UNTIL=20250324T105959Z'])];
    expect(spans(run(feed(events, stale)))).toEqual(spans(run(feed(events))));
  });

  it('UNTIL in UTC is compared as an instant (one second before the 4th hand-off excludes it)', () => {
    const before = run(feed([weekly(NY, ['RRULE:FREQ=WEEKLY;UNTIL=20250324T105959Z'])]));
    const at = run(feed([weekly(NY, ['RRULE:FREQ=WEEKLY;UNTIL=20250324T110000Z'])]));
    expect(spans(before)).toHaveLength(3);
    expect(spans(at)).toHaveLength(4);
  });

  it('EXDATE in UTC removes the occurrence it names', () => {
    const r = run(feed([weekly(NY, ['RRULE:FREQ=WEEKLY;COUNT=3', 'EXDATE:20250310T110000Z'])]));
    expect(spans(r).map(([s]) => s)).toEqual(['2025-03-03T12:00:00.000Z', '2025-03-17T11:00:00.000Z']);
  });

  it('RECURRENCE-ID in UTC replaces the occurrence it names', () => {
    const text = feed([
      weekly(NY, ['RRULE:FREQ=WEEKLY;COUNT=3']),
    ]).replace('END:VCALENDAR', ['BEGIN:VEVENT', 'UID:e0@x.example', 'CATEGORIES:CALL', 'ATTENDEE:mailto:b@x.example', 'RECURRENCE-ID:20250310T110000Z',
      'DTSTART;TZID=America/New_York:20250310T070000', 'DTEND;TZID=America/New_York:20250317T070000', 'END:VEVENT', 'END:VCALENDAR'].join('\r\n'));
    const r = run(text);
    expect(r.ok && r.value.shifts.map((s) => s.practitioner)).toEqual(['dr-a', 'dr-b', 'dr-a']);
  });

  it('an unknown TZID is skipped with its line, without quoting the TZID', () => {
    const r = run(feed([['DTSTART;TZID=Secret/Zone:20250303T070000', 'DURATION:PT1H']]));
    expect(r.ok && r.value.skipped).toEqual([{ path: 'VEVENT at line 4', message: expect.stringContaining('TZID') }]);
    expect(JSON.stringify(r)).not.toContain('Secret');
  });
});

describe('limits: total occurrences per import', () => {
  const hourly = (events: number): string =>
    feed(Array.from({ length: events }, (_, i) => [`DTSTART;TZID=America/New_York:20250101T${String(i % 24).padStart(2, '0')}0000`, 'DURATION:PT30M', 'RRULE:FREQ=HOURLY;UNTIL=20251231T000000Z']));

  it('a 50-event hourly feed for a year is refused once the import passes its limit, naming the setting', () => {
    const text = hourly(50);
    expect(text.length).toBeLessThan(12_000);
    const r = run(text, MAPPING, 20_000);
    expect(r.ok ? null : r.error.code).toBe('ERR_ICAL_TOO_MANY_OCCURRENCES');
    expect(r.ok ? '' : r.error.message).toContain('SCHEDULE_IMPORT_MAX_OCCURRENCES');
  });

  it('the limit counts occurrences across events, not per event', () => {
    const r = run(feed(Array.from({ length: 3 }, () => ['DTSTART;TZID=America/New_York:20250101T070000', 'DURATION:PT1H', 'RRULE:FREQ=DAILY;COUNT=10'])), MAPPING, 29);
    expect(r.ok ? null : r.error.code).toBe('ERR_ICAL_TOO_MANY_OCCURRENCES');
    const fits = run(feed(Array.from({ length: 3 }, () => ['DTSTART;TZID=America/New_York:20250101T070000', 'DURATION:PT1H', 'RRULE:FREQ=DAILY;COUNT=10'])), MAPPING, 30);
    expect(fits.ok && (fits.value as ICalImport).occurrences).toBe(30);
  });

  it('refuses an import range over two years', () => {
    const r = importICalendar(feed([]), MAPPING, { from: FROM, to: FROM + 3 * 366 * 86_400_000, defaultTimeZone: NY });
    expect(r.ok ? null : r.error.code).toBe('ERR_RANGE_INVALID');
  });
});
