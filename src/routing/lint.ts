import { compileSchedule } from './compile.js';
import { coverage } from './coverage.js';
import type { LintFinding } from './errors.js';
import { clockFor, intervalOf } from './intervals.js';
import { checkReferences } from './references.js';
import { formatLocal } from '../time/index.js';
import type { Schedule } from './schedule-schema.js';
import { flatten } from './segments.js';

/**
 * `lintSchedule(schedule, from, to)`: every problem at once — reference errors (unknown people,
 * rotations, roles...), empty rotations, and for [from, to): gaps (nobody on call) and overlaps
 * (two overrides, or two explicit shifts of one layer, claim the same time). Roles are expected
 * to be covered around the clock, so every uncovered minute is a GAP.
 */
export const lintSchedule = (schedule: Schedule, from: number, to: number): LintFinding[] => {
  const findings = checkReferences(schedule);
  if (findings.some((f) => f.severity === 'error')) return findings; // timelines need valid references
  const compiled = compileSchedule(schedule);
  if (!compiled.ok) return findings;
  const c = compiled.value;
  const zone = schedule.timeZone;
  const span = (start: number, end: number): string => {
    const [s, e] = [formatLocal(start, zone), formatLocal(end, zone)];
    return `${s}–${s.slice(0, -6) === e.slice(0, -6) ? e.slice(-5) : e}`; // "Sat 2025-03-08 07:00–08:00"
  };

  schedule.roles.forEach((role, i) => {
    const timeline = coverage(c, role.id, from, to);
    if (!timeline.ok) {
      // Fail closed: an unlintable range is a finding, not a clean bill of health.
      findings.push({ code: 'RANGE_INVALID', severity: 'error', path: `roles[${i}]`, role: role.id, message: timeline.error.message });
      return;
    }
    for (const seg of timeline.value) {
      if (seg.primary !== null) continue;
      findings.push({
        code: 'GAP',
        severity: 'warning',
        path: `roles[${i}]`,
        role: role.id,
        start: seg.start,
        end: seg.end,
        message: `${span(seg.start, seg.end)} nobody covers ${role.name} (${role.id})`,
      });
    }
    const overlapsIn = (list: readonly { start: number; end: number }[], what: string, path: (rank: number) => string): void => {
      for (const o of flatten(list.map((x, rank) => ({ ...x, value: null, rank }))).overlaps) {
        if (o.end <= from || o.start >= to) continue;
        findings.push({
          code: 'OVERLAP',
          severity: 'warning',
          path: o.ranks.map(path).join(', '),
          role: role.id,
          start: o.start,
          end: o.end,
          message: `${span(o.start, o.end)} ${what} of ${role.name} (${role.id}) overlap; the later-listed wins`,
        });
      }
    };
    const overrides = schedule.overrides.map((o, j) => ({ o, j })).filter((x) => x.o.role === role.id);
    overlapsIn(
      overrides.map(({ o }) => intervalOf(o, clockFor(schedule, o.timeZone))),
      'overrides',
      (rank) => `overrides[${overrides[rank]?.j ?? -1}]`,
    );
    role.layers.forEach((layer, j) => {
      if (layer.shifts === undefined) return;
      overlapsIn(
        layer.shifts.map((s) => intervalOf(s, clockFor(schedule, layer.timeZone))),
        `shifts of layer '${layer.id}'`,
        (rank) => `roles[${i}].layers[${j}].shifts[${rank}]`,
      );
    });
  });
  return findings;
};
