// RFC 5545 3.3.6 durations: days and weeks nominal, hours, minutes and seconds exact.
import { describe, expect, it } from 'vitest';
import { addDuration, readDuration } from './duration.js';
import { zoneClock } from './zone.js';

const NY = zoneClock('America/New_York');
const at = (iso: string): number => Date.parse(iso);
const plus = (startIso: string, d: string): string => new Date(addDuration(at(startIso), readDuration(d)!, NY)).toISOString();

describe('readDuration', () => {
  it.each([
    ['PT1H', 1, 0, 3_600_000],
    ['PT86400S', 1, 0, 86_400_000],
    ['P1D', 1, 1, 0],
    ['P2W', 1, 14, 0],
    ['P1DT12H', 1, 1, 43_200_000],
    ['PT1H30M', 1, 0, 5_400_000],
    ['-PT15M', -1, 0, 900_000],
    ['+P1D', 1, 1, 0],
  ])('%s', (text, sign, days, ms) => {
    expect(readDuration(text)).toEqual({ sign, days, ms });
  });

  it.each(['', 'P', 'PT', 'P1DT', '1H', 'P1H', 'PT1D', 'P1W2D', 'P1.5D', 'P1234567890D', 'pt1h'])('refuses %j', (text) => {
    expect(readDuration(text)).toBeUndefined();
  });
});

describe('addDuration in New York', () => {
  it.each([
    // fall back 2025-11-02 (the 01:00-02:00 hour happens twice)
    ['2025-11-02T05:30:00Z', 'PT1H', '2025-11-02T06:30:00.000Z', 'PT1H is one elapsed hour: 01:30 EDT -> 01:30 EST'],
    ['2025-11-01T16:00:00Z', 'PT86400S', '2025-11-02T16:00:00.000Z', 'PT86400S is exact: 12:00 EDT -> 11:00 EST'],
    ['2025-11-01T16:00:00Z', 'PT24H', '2025-11-02T16:00:00.000Z', 'PT24H is exact too'],
    ['2025-11-01T16:00:00Z', 'P1D', '2025-11-02T17:00:00.000Z', 'P1D is nominal: 12:00 EDT -> 12:00 EST (25 h)'],
    // spring forward 2025-03-09
    ['2025-03-08T17:00:00Z', 'P1D', '2025-03-09T16:00:00.000Z', 'P1D across spring forward is 23 h'],
    ['2025-03-08T17:00:00Z', 'P1W', '2025-03-15T16:00:00.000Z', 'P1W keeps the local time'],
    ['2025-03-08T07:30:00Z', 'P1D', '2025-03-09T07:30:00.000Z', 'P1D landing in the gap (02:30) takes the offset before it'],
    ['2025-03-08T17:00:00Z', 'P1DT1H', '2025-03-09T17:00:00.000Z', 'nominal part first, then the exact hour'],
  ])('%s + %s = %s (%s)', (start, d, end) => {
    expect(plus(start, d)).toBe(end);
  });
});
