// Which dates and times exist (civil.ts) and how ISO 8601 text is read (iso.ts): one rule for the
// FHIR date parameters, schedule files and the instants people type.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isValidDate, wallTime } from './civil.js';
import { isInstantText, readInstant, readIsoDateTime } from './iso.js';
import { zoneClock } from './zone.js';

const NY = zoneClock('America/New_York');

describe('impossible dates and times are refused by every reader', () => {
  it.each([
    ['2024-00-15', 'month 00'],
    ['2024-13-01', 'month 13'],
    ['2024-02-30', 'February 30'],
    ['2023-02-29', 'February 29 in a common year'],
    ['1900-02-29', 'February 29 in 1900 (not a leap year)'],
    ['2024-04-31', 'April 31'],
    ['2024-01-00', 'day 00'],
    ['0000-01-01', 'year 0000'],
    ['2024-03-10T24:00', 'hour 24 (FHIR, HL7 v2 and RFC 5545 all stop at 23)'],
    ['2024-03-10T24:00:00Z', 'hour 24 with a zone'],
    ['2024-03-10T23:60', 'minute 60'],
    ['2024-03-10T23:59:60Z', 'a leap second (epoch ms cannot hold it)'],
    ['2024-03-10T10:00+15:00', 'an offset past 14 hours'],
    ['2024-03-10T10:00+05:60', 'offset minutes 60'],
    ['2024-03-10+05:00', 'a zone without a time'],
    ['2024-3-10', 'a one-digit month'],
    ['20240310', 'basic format (not extended)'],
  ])('%s (%s)', (text) => {
    expect(readIsoDateTime(text, { compactOffset: true })).toBeUndefined();
    expect(readInstant(text, NY, { dateOnly: true })).toBeUndefined();
    expect(isInstantText(text)).toBe(false);
  });

  it('February 29 exists in leap years only, as the proleptic Gregorian calendar says', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 9999 }), (y) => {
      const leap = new Date(wallTime(y, 2, 29)).getUTCMonth() === 1;
      expect(isValidDate(y, 2, 29)).toBe(leap);
      expect(readIsoDateTime(`${String(y).padStart(4, '0')}-02-29`) !== undefined).toBe(leap);
    }));
  });

  it('every real date of 2000-2040 is read back to its own fields', () => {
    fc.assert(fc.property(fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2040, 0, 1) }), (t) => {
      const text = new Date(t).toISOString().slice(0, 19);
      expect(readIsoDateTime(text)?.wall).toBe(Math.floor(t / 1000) * 1000);
    }));
  });
});

describe('readIsoDateTime', () => {
  it.each([
    ['2024', 'year', Date.UTC(2024, 0, 1), undefined],
    ['2024-03', 'month', Date.UTC(2024, 2, 1), undefined],
    ['2024-03-10', 'day', Date.UTC(2024, 2, 10), undefined],
    ['2024-03-10T10:15', 'minute', Date.UTC(2024, 2, 10, 10, 15), undefined],
    ['2024-03-10T10:15:30.25Z', 'second', Date.UTC(2024, 2, 10, 10, 15, 30, 250), 0],
    ['2024-03-10T10:15:30-05:00', 'second', Date.UTC(2024, 2, 10, 10, 15, 30), -300],
    ['2024-03-10T10:15+05:30', 'minute', Date.UTC(2024, 2, 10, 10, 15), 330],
  ])('%s -> %s precision', (text, precision, wall, offset) => {
    expect(readIsoDateTime(text)).toMatchObject({ precision, wall, offsetMinutes: offset });
  });

  it('takes ±hhmm only when asked (schedule files), never in FHIR values', () => {
    expect(readIsoDateTime('2024-03-10T10:15-0500')).toBeUndefined();
    expect(readIsoDateTime('2024-03-10T10:15-0500', { compactOffset: true })?.offsetMinutes).toBe(-300);
  });

  it('bounds the fraction digits', () => {
    expect(readIsoDateTime('2024-03-10T10:15:30.1234567', { maxFractionDigits: 6 })).toBeUndefined();
    expect(readIsoDateTime('2024-03-10T10:15:30.123456', { maxFractionDigits: 6 })?.fraction).toBe('123456');
  });
});

describe('readInstant (schedule files, --at, ?at=)', () => {
  it.each([
    ['2025-03-09T07:00:00Z', '2025-03-09T07:00:00.000Z', 'exact'],
    ['2025-03-09T02:00:00-05:00', '2025-03-09T07:00:00.000Z', 'exact with an offset'],
    ['2025-03-09T02:30', '2025-03-09T07:30:00.000Z', 'local, in the gap: the offset before it'],
    ['2025-11-02T01:30', '2025-11-02T05:30:00.000Z', 'local, ambiguous: the first occurrence'],
    ['2025-03-09', '2025-03-09T05:00:00.000Z', 'a bare date is local midnight'],
    [' 2025-03-09T12:00 ', '2025-03-09T16:00:00.000Z', 'spaces around are trimmed'],
  ])('%s -> %s (%s)', (text, iso) => {
    expect(new Date(readInstant(text, NY, { dateOnly: true }) ?? Number.NaN).toISOString()).toBe(iso);
  });

  it('a bare date only where dates are allowed; no year- or month-only instants', () => {
    expect(readInstant('2025-03-09', NY)).toBeUndefined();
    expect(readInstant('2025-03', NY, { dateOnly: true })).toBeUndefined();
    expect(readInstant('tomorrow', NY, { dateOnly: true })).toBeUndefined();
  });
});
