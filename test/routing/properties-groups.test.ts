import fc from 'fast-check';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { compileSchedule, nextChange, oncall, scheduleSchema, type ScheduleInput } from '../../src/routing/index.js';
import { people } from './helpers.js';
import { oracleNext, oraclePrimary } from './oracle.js';

/**
 * The newer schedule features against the naive oracle (test/routing/oracle.ts), around DST changes:
 * rotations and layers in their own zones (follow-the-sun), per-window rotations, shifts and
 * overrides given as start plus duration, and nextChange.
 */

const ZONES = ['America/New_York', 'Europe/Berlin', 'Australia/Lord_Howe', 'America/Los_Angeles'];
const BASES = ['2025-02-24', '2025-03-05', '2025-03-26', '2025-10-22'];
const TIMES = ['00:00', '01:30', '02:00', '02:30', '03:00', '07:00', '08:00', '19:00', '23:30'];
const PEOPLE = ['p1', 'p2', 'p3', 'p4', 'p5'];
const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
const DURATIONS = ['PT1H', 'PT12H', 'PT86400S', 'P1D', 'P1DT2H', 'PT90M', 'P1W'];
const SPAN_DAYS = 21;
const HOUR = 3_600_000;

const hhmm = fc.oneof(fc.constantFrom(...TIMES), fc.tuple(fc.integer({ min: 0, max: 23 }), fc.constantFrom(0, 15, 30, 45)).map(([h, m]) => `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`));
const window = fc.record({ days: fc.uniqueArray(fc.constantFrom(...DAYS), { minLength: 1, maxLength: 7 }), start: hhmm, end: hhmm });
const zone = fc.option(fc.constantFrom(...ZONES), { nil: undefined });

const arbSchedule = fc
  .record({
    zone: fc.constantFrom(...ZONES),
    base: fc.constantFrom(...BASES),
    rotations: fc.array(
      fc.record({
        participants: fc.array(fc.constantFrom(...PEOPLE), { minLength: 1, maxLength: 4 }),
        perWindow: fc.boolean(),
        windows: fc.array(window, { minLength: 1, maxLength: 2 }),
        unit: fc.constantFrom('day' as const, 'week' as const),
        handoff: hhmm,
        startOffset: fc.integer({ min: 0, max: 6 }),
        zone,
      }),
      { minLength: 1, maxLength: 2 },
    ),
    layers: fc.array(
      fc.record({
        source: fc.oneof(fc.integer({ min: 0, max: 1 }), fc.constantFrom(...PEOPLE), fc.constant('shifts' as const)),
        windows: fc.option(fc.array(window, { minLength: 1, maxLength: 2 }), { nil: undefined }),
        zone,
        shifts: fc.array(
          fc.record({ practitioner: fc.constantFrom(...PEOPLE), startHours: fc.integer({ min: 0, max: SPAN_DAYS * 24 }), duration: fc.constantFrom(...DURATIONS), local: fc.boolean() }),
          { minLength: 1, maxLength: 4 },
        ),
      }),
      { minLength: 1, maxLength: 3 },
    ),
    overrides: fc.array(
      fc.record({ practitioner: fc.constantFrom(...PEOPLE), startHours: fc.integer({ min: 0, max: SPAN_DAYS * 24 }), duration: fc.constantFrom(...DURATIONS), zone }),
      { maxLength: 2 },
    ),
  })
  .map((g): { input: ScheduleInput; from: number } => {
    const base = DateTime.fromISO(g.base, { zone: g.zone });
    const local = (t: DateTime, z: string): string => t.setZone(z).toFormat("yyyy-LL-dd'T'HH:mm");
    return {
      from: base.toMillis(),
      input: {
        version: 1,
        timeZone: g.zone,
        practitioners: people(...PEOPLE),
        rotations: g.rotations.map((r, i) => ({
          id: `r${i}`,
          participants: r.participants,
          startDate: base.plus({ days: r.startOffset }).toISODate() ?? '',
          ...(r.zone === undefined ? {} : { timeZone: r.zone }),
          ...(r.perWindow ? { advance: 'per-window' as const, windows: r.windows } : { period: { unit: r.unit }, handoffTime: r.handoff }),
        })),
        roles: [
          {
            id: 'role',
            name: 'Role',
            layers: g.layers.map((l, i) => ({
              id: `l${i}`,
              ...(l.zone === undefined ? {} : { timeZone: l.zone }),
              ...(l.windows === undefined ? {} : { windows: l.windows }),
              ...(l.source === 'shifts'
                ? {
                    shifts: l.shifts.map((s) => {
                      const start = base.plus({ hours: s.startHours });
                      return { practitioner: s.practitioner, start: s.local ? local(start, l.zone ?? g.zone) : (start.toUTC().toISO() ?? ''), duration: s.duration };
                    }),
                  }
                : typeof l.source === 'number'
                  ? { rotation: `r${Math.min(l.source, g.rotations.length - 1)}` }
                  : { practitioner: l.source }),
            })),
          },
        ],
        overrides: g.overrides.map((o, i) => ({
          id: `o${i}`,
          role: 'role',
          practitioner: o.practitioner,
          start: local(base.plus({ hours: o.startHours }), o.zone ?? g.zone),
          duration: o.duration,
          ...(o.zone === undefined ? {} : { timeZone: o.zone }),
        })),
      },
    };
  });

const compile = (input: ScheduleInput) => {
  const s = scheduleSchema.parse(input);
  const c = compileSchedule(s);
  if (!c.ok) throw new Error(JSON.stringify(c.error));
  return { s, c: c.value };
};

const instantIn = fc.integer({ min: 0, max: SPAN_DAYS * 24 * 4 - 1 }).map((q) => q * 15 * 60_000);

describe('properties of the group features (zones per item, per-window turns, durations)', () => {
  it('the primary at any instant is the one the naive oracle names', { timeout: 300_000 }, () => {
    fc.assert(
      fc.property(arbSchedule, fc.array(instantIn, { minLength: 1, maxLength: 4 }), ({ input, from }, offsets) => {
        const { s, c } = compile(input);
        for (const dt of offsets) {
          const r = oncall(c, 'role', from + dt);
          expect(r.ok).toBe(true);
          if (r.ok) expect(r.value.primary?.practitioner.id ?? null).toBe(oraclePrimary(s, 'role', from + dt));
        }
      }),
      { numRuns: 200 },
    );
  });

  it('nextChange names the first instant the oracle sees someone else on call, and who', { timeout: 300_000 }, () => {
    fc.assert(
      fc.property(arbSchedule, fc.integer({ min: 0, max: 7 * 24 * 4 }), ({ input, from }, q) => {
        const { s, c } = compile(input);
        const at = from + q * 15 * 60_000;
        const to = at + 7 * 24 * HOUR;
        const r = nextChange(c, 'role', at);
        if (!r.ok) throw new Error(r.error.message);
        const want = oracleNext(s, 'role', at, to);
        const got = r.value.current.until !== null && r.value.current.until <= to ? { at: r.value.current.until, primary: r.value.next?.primary?.practitioner.id ?? null } : null;
        expect(got).toEqual(want);
        expect(r.value.current.primary?.practitioner.id ?? null).toBe(oraclePrimary(s, 'role', at));
      }),
      { numRuns: 40 },
    );
  });
});
