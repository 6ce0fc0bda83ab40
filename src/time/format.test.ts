import fc from 'fast-check';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { formatInstant, formatLocal, offsetOfWall } from './format.js';
import { zoneClock } from './zone.js';

const ZONES = ['America/New_York', 'Europe/Berlin', 'Australia/Lord_Howe', 'Asia/Kolkata', 'UTC', 'Etc/UTC'];

describe('formatInstant / formatLocal', () => {
  it('writes what luxon writes for every instant 1970-2100 (ISO with offset; Z for UTC)', () => {
    fc.assert(fc.property(fc.constantFrom(...ZONES), fc.integer({ min: 0, max: Date.UTC(2100, 0, 1) }), (zone, t) => {
      expect(formatInstant(t, zone)).toBe(DateTime.fromMillis(t, { zone }).toISO({ suppressMilliseconds: true }));
      expect(formatLocal(t, zone)).toBe(DateTime.fromMillis(t, { zone }).toFormat('ccc yyyy-LL-dd HH:mm'));
      expect(formatLocal(t, zone, { zoneName: true })).toBe(DateTime.fromMillis(t, { zone }).toFormat('ccc yyyy-LL-dd HH:mm ZZZZ'));
    }), { numRuns: 2000 });
  });

  it('gives a gap time the offset before the gap and an ambiguous one the first occurrence\'s', () => {
    const ny = zoneClock('America/New_York');
    expect(offsetOfWall(ny, Date.UTC(2025, 2, 9, 2, 30))).toBe(-300);
    expect(offsetOfWall(ny, Date.UTC(2025, 10, 2, 1, 30))).toBe(-240);
  });
});
