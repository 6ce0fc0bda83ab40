import fc from 'fast-check';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { compileSchedule, coverage, oncall, scheduleSchema, type ScheduleInput } from '../../src/routing/index.js';
import { HOUR, people } from './helpers.js';
import { oraclePrimary } from './oracle.js';

/**
 * Random schedules around DST changes and a leap day, checked against a naive luxon-only
 * oracle (test/routing/oracle.ts) and against the documented invariants.
 */

const ZONES = ['America/Los_Angeles', 'America/New_York', 'Europe/Berlin', 'Australia/Lord_Howe'];
const BASES = ['2024-02-10', '2025-02-20', '2025-09-20']; // leap day, spring-forward, fall-back ahead
const TIMES = ['00:00', '01:30', '02:00', '02:30', '03:00', '07:00', '19:00', '22:00', '23:30'];
const PEOPLE = ['p1', 'p2', 'p3', 'p4', 'p5'];
const DAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
const SPAN_DAYS = 60;

const hhmm = fc.oneof(fc.constantFrom(...TIMES), fc.tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 })).map(([h, m]) => `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`));
const window = fc.record({ days: fc.uniqueArray(fc.constantFrom(...DAYS), { minLength: 1, maxLength: 7 }), start: hhmm, end: hhmm });

const arbSchedule = fc
  .record({
    zone: fc.constantFrom(...ZONES),
    base: fc.constantFrom(...BASES),
    rotations: fc.array(
      fc.record({
        participants: fc.array(fc.constantFrom(...PEOPLE), { minLength: 0, maxLength: 4 }),
        unit: fc.constantFrom('day' as const, 'week' as const),
        count: fc.integer({ min: 1, max: 3 }),
        handoff: hhmm,
        startOffset: fc.integer({ min: 0, max: 20 }),
      }),
      { minLength: 1, maxLength: 3 },
    ),
    layers: fc.array(
      fc.record({ source: fc.oneof(fc.integer({ min: 0, max: 2 }), fc.constantFrom(...PEOPLE)), windows: fc.option(fc.array(window, { minLength: 1, maxLength: 2 }), { nil: undefined }) }),
      { minLength: 1, maxLength: 3 },
    ),
    overrides: fc.array(
      fc.record({ practitioner: fc.constantFrom(...PEOPLE), startHours: fc.integer({ min: 0, max: SPAN_DAYS * 24 }), hours: fc.integer({ min: 1, max: 72 }), local: fc.boolean() }),
      { maxLength: 3 },
    ),
  })
  .map((g): { input: ScheduleInput; from: number } => {
    const base = DateTime.fromISO(g.base, { zone: g.zone });
    const iso = (t: DateTime, local: boolean): string => (local ? t.toFormat("yyyy-LL-dd'T'HH:mm") : (t.toUTC().toISO() ?? ''));
    return {
      from: base.toMillis(),
      input: {
        version: 1,
        timeZone: g.zone,
        practitioners: people(...PEOPLE),
        rotations: g.rotations.map((r, i) => ({
          id: `r${i}`,
          participants: r.participants,
          period: { unit: r.unit, count: r.count },
          handoffTime: r.handoff,
          startDate: base.plus({ days: r.startOffset }).toISODate() ?? '',
        })),
        roles: [
          {
            id: 'role',
            name: 'Role',
            layers: g.layers.map((l, i) => ({
              id: `l${i}`,
              ...(typeof l.source === 'number' ? { rotation: `r${Math.min(l.source, g.rotations.length - 1)}` } : { practitioner: l.source }),
              ...(l.windows === undefined ? {} : { windows: l.windows }),
            })),
          },
        ],
        overrides: g.overrides.map((o, i) => {
          const s = base.plus({ hours: o.startHours });
          return { id: `o${i}`, role: 'role', practitioner: o.practitioner, start: iso(s, o.local), end: iso(s.plus({ hours: o.hours }), o.local) };
        }),
      },
    };
  });

const instantIn = fc.integer({ min: 0, max: SPAN_DAYS * 24 * 60 - 1 }).map((m) => m * 60_000);
const compile = (input: ScheduleInput) => {
  const s = scheduleSchema.parse(input);
  const c = compileSchedule(s);
  if (!c.ok) throw new Error(JSON.stringify(c.error));
  return { s, c: c.value };
};

describe('properties of resolution', () => {
  it('the primary at any instant is the one the naive oracle names (null exactly where nothing covers)', { timeout: 120_000 }, () => {
    fc.assert(
      fc.property(arbSchedule, fc.array(instantIn, { minLength: 1, maxLength: 5 }), ({ input, from }, offsets) => {
        const { s, c } = compile(input);
        for (const dt of offsets) {
          const r = oncall(c, 'role', from + dt);
          expect(r.ok).toBe(true);
          if (r.ok) expect(r.value.primary?.practitioner.id ?? null).toBe(oraclePrimary(s, 'role', from + dt));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('coverage tiles [from, to) with segments; each instant has exactly the segment primary', { timeout: 120_000 }, () => {
    fc.assert(
      fc.property(arbSchedule, fc.array(instantIn, { minLength: 1, maxLength: 10 }), ({ input, from }, offsets) => {
        const { c } = compile(input);
        const to = from + SPAN_DAYS * 24 * HOUR;
        const cov = coverage(c, 'role', from, to);
        if (!cov.ok) throw new Error(cov.error.message);
        const segs = cov.value;
        expect(segs[0]?.start).toBe(from);
        expect(segs[segs.length - 1]?.end).toBe(to);
        segs.forEach((seg, i) => {
          expect(seg.end).toBeGreaterThan(seg.start);
          if (i > 0) expect(seg.start).toBe(segs[i - 1]?.end);
        });
        for (const dt of offsets) {
          const t = from + dt;
          const containing = segs.filter((seg) => seg.start <= t && t < seg.end);
          expect(containing).toHaveLength(1);
          const r = oncall(c, 'role', t);
          expect(r.ok && (r.value.primary?.practitioner.id ?? null)).toBe(containing[0]?.primary?.practitioner.id ?? null);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('an override wins exactly inside its half-open window [start, end)', () => {
    fc.assert(
      fc.property(arbSchedule, instantIn, fc.integer({ min: 1, max: 72 * 60 }), ({ input, from }, startDt, minutes) => {
        const s0 = from + startDt;
        const e0 = s0 + minutes * 60_000;
        const withOverride: ScheduleInput = {
          ...input,
          overrides: [{ id: 'only', role: 'role', practitioner: 'p5', start: new Date(s0).toISOString(), end: new Date(e0).toISOString() }],
        };
        const { c } = compile(withOverride);
        const via = (t: number): string | null => {
          const r = oncall(c, 'role', t);
          if (!r.ok) throw new Error(r.error.message);
          return r.value.primary?.via.kind === 'override' ? r.value.primary.practitioner.id : null;
        };
        expect(via(s0)).toBe('p5');
        expect(via(e0 - 1)).toBe('p5');
        expect(via(Math.floor((s0 + e0) / 2))).toBe('p5');
        expect(via(s0 - 1)).toBeNull();
        expect(via(e0)).toBeNull();
      }),
      { numRuns: 300 },
    );
  });

  it('resolution is deterministic: same schedule and instant, same result, whatever was asked before', () => {
    fc.assert(
      fc.property(arbSchedule, fc.array(instantIn, { minLength: 2, maxLength: 8 }), ({ input, from }, offsets) => {
        const a = compile(input).c;
        const b = compile(input).c;
        const forward = offsets.map((dt) => oncall(a, 'role', from + dt));
        const backward = [...offsets].reverse().map((dt) => oncall(b, 'role', from + dt)).reverse();
        expect(backward).toEqual(forward);
      }),
      { numRuns: 200 },
    );
  });
});
