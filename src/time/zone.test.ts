// The one rule for local times (RFC 5545 3.3.5), tested once here; every reader of local times
// delegates to zoneClock (test/time/consumers.test.ts shows each one does).
import fc from 'fast-check';
import { DateTime, IANAZone } from 'luxon';
import { describe, expect, it } from 'vitest';
import { canonicalZone, isValidZone, zoneClock } from './zone.js';

const ZONES = ['America/Los_Angeles', 'America/New_York', 'Europe/Berlin', 'Australia/Lord_Howe', 'Asia/Kolkata', 'Pacific/Chatham', 'America/Sao_Paulo', 'Pacific/Apia', 'UTC'];
const wall = (text: string): number => Date.parse(`${text}Z`);

/**
 * A deliberately naive reading of the rule, luxon only (no tables): every instant within ±26 h whose
 * local fields equal the wall time is a candidate and the earliest wins; with none (a gap), the
 * wall time is read with the offset in force one minute before the first instant whose local
 * time is past it (the offset before the gap).
 */
const naive = (w: number, zone: string): number => {
  const fields = (t: number): number => {
    const d = DateTime.fromMillis(t, { zone });
    return Date.UTC(d.year, d.month - 1, d.day, d.hour, d.minute, d.second);
  };
  const offsets = new Set<number>();
  for (let h = -26; h <= 26; h++) offsets.add(Math.trunc(DateTime.fromMillis(w + h * 3_600_000, { zone }).offset));
  const hits = [...offsets].map((o) => w - o * 60_000).filter((t) => fields(t) === w);
  if (hits.length > 0) return Math.min(...hits);
  let t = w - Math.max(...offsets) * 60_000;
  while (fields(t) < w) t += 60_000;
  const before = Math.trunc(DateTime.fromMillis(t - 60_000, { zone }).offset);
  return w - before * 60_000;
};

describe('zoneClock: offsets from the IANA tz database (luxon/Intl), looked up in a table', () => {
  it('agrees with luxon on the offset of any instant 2000-2040', { timeout: 60_000 }, () => {
    fc.assert(
      fc.property(fc.constantFrom(...ZONES), fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2040, 0, 1) }), (zone, t) => {
        expect(zoneClock(zone).offsetAt(t)).toBe(IANAZone.create(zone).offset(t) * 60_000);
      }),
      { numRuns: 3000 },
    );
  });

  it('reads local times like the naive luxon-only reading of the rule (gaps, overlaps, everything else)', { timeout: 60_000 }, () => {
    fc.assert(
      fc.property(fc.constantFrom(...ZONES), fc.integer({ min: 0, max: 3 * 366 }), fc.integer({ min: 0, max: 95 }), (zone, day, quarter) => {
        const w = Date.UTC(2024, 0, 1 + day, Math.floor(quarter / 4), (quarter % 4) * 15);
        expect(zoneClock(zone).toInstant(w)).toBe(naive(w, zone));
      }),
      { numRuns: 3000 },
    );
  });

  it.each([
    // RFC 5545 3.3.5: a gap time takes the offset in force BEFORE the gap
    ['America/New_York', '2025-03-09T02:30', '2025-03-09T07:30:00Z', 'gap: 02:30 EST = 03:30 EDT'],
    ['America/New_York', '2025-03-09T02:00', '2025-03-09T07:00:00Z', 'start of the gap: 02:00 EST = the transition'],
    ['America/New_York', '2025-03-09T02:59', '2025-03-09T07:59:00Z', 'end of the gap: 02:59 EST = 03:59 EDT'],
    ['America/New_York', '2025-03-09T03:00', '2025-03-09T07:00:00Z', 'first time after the gap'],
    ['America/New_York', '2025-03-09T01:59', '2025-03-09T06:59:00Z', 'last time before the gap'],
    // ...and an ambiguous time is its first occurrence
    ['America/New_York', '2025-11-02T01:30', '2025-11-02T05:30:00Z', 'overlap: first occurrence (EDT)'],
    ['America/New_York', '2025-11-02T01:00', '2025-11-02T05:00:00Z', 'start of the overlap (EDT)'],
    ['America/New_York', '2025-11-02T00:59', '2025-11-02T04:59:00Z', 'just before the overlap'],
    ['America/New_York', '2025-11-02T02:00', '2025-11-02T07:00:00Z', 'after the overlap (EST)'],
    ['America/Los_Angeles', '2025-03-09T02:30', '2025-03-09T10:30:00Z', 'Los Angeles gap: 02:30 PST'],
    ['Europe/Berlin', '2025-03-30T02:15', '2025-03-30T01:15:00Z', 'Berlin gap: 02:15 CET = 03:15 CEST'],
    ['Europe/Berlin', '2025-10-26T02:15', '2025-10-26T00:15:00Z', 'Berlin overlap: first (CEST)'],
    ['Australia/Lord_Howe', '2025-10-05T02:10', '2025-10-04T15:40:00Z', '30-minute gap: 02:10 +10:30'],
    ['Australia/Lord_Howe', '2025-04-06T01:45', '2025-04-05T14:45:00Z', '30-minute overlap: first (+11:00)'],
    ['Pacific/Apia', '2011-12-30T12:00', '2011-12-30T22:00:00Z', 'a skipped day: read with the offset before it (-10:00)'],
    ['America/Los_Angeles', '2024-02-29T07:00', '2024-02-29T15:00:00Z', 'leap day'],
  ])('%s %s -> %s (%s)', (zone, local, instant) => {
    expect(new Date(zoneClock(zone).toInstant(wall(local))).toISOString()).toBe(new Date(instant).toISOString());
  });

  it('toLocal inverts toInstant outside gaps, and the first occurrence is never later than any other', () => {
    fc.assert(
      fc.property(fc.constantFrom(...ZONES), fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2040, 0, 1) }), (zone, t) => {
        const clock = zoneClock(zone);
        const l = clock.toLocal(t);
        expect(clock.toLocal(clock.toInstant(l))).toBe(l);
        expect(clock.toInstant(l)).toBeLessThanOrEqual(t);
      }),
      { numRuns: 3000 },
    );
  });

  it('names zones canonically and refuses what is not one', () => {
    expect(canonicalZone('america/new_york')).toBe('America/New_York');
    expect(zoneClock('america/new_york')).toBe(zoneClock('America/New_York'));
    for (const bad of ['', '+05:00', 'Eastern Standard Time', 'Mars/Olympus', 'x'.repeat(100)]) expect(isValidZone(bad)).toBe(false);
    expect(() => zoneClock('Mars/Olympus')).toThrow(RangeError);
  });
});
