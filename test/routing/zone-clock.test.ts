import fc from 'fast-check';
import { DateTime, IANAZone } from 'luxon';
import { describe, expect, it } from 'vitest';
import { zoneClock } from '../../src/routing/index.js';
import { oracleLocal } from './oracle.js';

const ZONES = ['America/Los_Angeles', 'America/New_York', 'Europe/Berlin', 'Australia/Lord_Howe', 'Asia/Kolkata', 'Pacific/Chatham', 'America/Sao_Paulo', 'UTC'];
const wall = (text: string): number => Date.parse(`${text}Z`);

describe('ZoneClock: offsets come from luxon (IANA tz via Intl), looked up in a table', () => {
  it('agrees with luxon on the offset of any instant 2000-2040', { timeout: 60_000 }, () => {
    fc.assert(
      fc.property(fc.constantFrom(...ZONES), fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2040, 0, 1) }), (zone, t) => {
        expect(zoneClock(zone).offsetAt(t)).toBe(IANAZone.create(zone).offset(t) * 60_000);
      }),
      { numRuns: 3000 },
    );
  });

  it('turns local wall-clock times into instants like the luxon-only oracle (gap and fall-back rules)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...ZONES),
        fc.integer({ min: 0, max: 3 * 365 }),
        fc.integer({ min: 0, max: 47 }),
        (zone, dayOffset, halfHour) => {
          const day = DateTime.utc(2024, 1, 1).plus({ days: dayOffset });
          const hhmm = `${String(Math.floor(halfHour / 2)).padStart(2, '0')}:${halfHour % 2 === 0 ? '00' : '30'}`;
          const w = Date.UTC(day.year, day.month - 1, day.day, Math.floor(halfHour / 2), (halfHour % 2) * 30);
          expect(zoneClock(zone).toInstant(w)).toBe(oracleLocal(day, hhmm, zone));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it.each([
    ['America/New_York', '2025-03-09T02:30', '2025-03-09T07:00:00Z', 'gap -> first instant after it (03:00 EDT)'],
    ['America/New_York', '2025-03-09T02:00', '2025-03-09T07:00:00Z', 'start of gap -> 03:00 EDT'],
    ['America/New_York', '2025-03-09T03:00', '2025-03-09T07:00:00Z', 'first time after the gap'],
    ['America/New_York', '2025-11-02T01:30', '2025-11-02T05:30:00Z', 'ambiguous -> first occurrence (EDT)'],
    ['America/New_York', '2025-11-02T00:59', '2025-11-02T04:59:00Z', 'just before the ambiguous hour'],
    ['America/New_York', '2025-11-02T02:00', '2025-11-02T07:00:00Z', 'after the ambiguous hour (EST)'],
    ['Europe/Berlin', '2025-03-30T02:15', '2025-03-30T01:00:00Z', 'Berlin gap'],
    ['Europe/Berlin', '2025-10-26T02:15', '2025-10-26T00:15:00Z', 'Berlin ambiguous -> CEST'],
    ['Australia/Lord_Howe', '2025-10-05T02:10', '2025-10-04T15:30:00Z', '30-minute gap (02:00 -> 02:30)'],
    ['America/Los_Angeles', '2024-02-29T07:00', '2024-02-29T15:00:00Z', 'leap day'],
  ])('%s %s -> %s (%s)', (zone, local, instant) => {
    expect(new Date(zoneClock(zone).toInstant(wall(local))).toISOString()).toBe(new Date(instant).toISOString());
  });

  it('toLocal inverts toInstant except inside gaps', () => {
    fc.assert(
      fc.property(fc.constantFrom(...ZONES), fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2040, 0, 1) }), (zone, t) => {
        const clock = zoneClock(zone);
        const l = clock.toLocal(t);
        expect(clock.toLocal(clock.toInstant(l))).toBe(l);
        expect(clock.toInstant(l)).toBeLessThanOrEqual(t); // first occurrence is never later
      }),
      { numRuns: 3000 },
    );
  });
});
