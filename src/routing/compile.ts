import { compileCoverage, compileRotation, type CompiledCoverage, type CoverageSource } from './coverage-source.js';
import { err, ok, routingError, type Result, type RoutingError } from './errors.js';
import { clockFor, intervalOf } from './intervals.js';
import { checkReferences } from './references.js';
import type { ChannelKind, EscalationPolicy, Practitioner, Role, Schedule } from './schedule-schema.js';
import { flatten, type Flattened } from './segments.js';
import type { ZoneClock } from '../time/index.js';

/**
 * Compiling turns a validated schedule into per-role lookup structures so that resolving who is
 * on call is O(1) rotation arithmetic plus O(log n) bisection, never a scan of all shifts.
 * Compiling is pure and does not depend on `now`.
 */

export interface OverrideRef {
  /** The override's `id`, or `overrides[i]` when it has none. */
  readonly id: string;
  readonly practitioner: string;
  readonly reason: string | undefined;
}

export interface CompiledRole {
  readonly role: Role;
  /** Top layer first: the first layer with someone at an instant wins. */
  readonly layersTopFirst: readonly CompiledCoverage[];
  readonly backups: readonly CompiledCoverage[];
  /** Flattened overrides: the later-listed override wins where two overlap. */
  readonly overrides: Flattened<OverrideRef>;
}

export interface CompiledSchedule {
  readonly schedule: Schedule;
  readonly timeZone: string;
  /** The schedule's own zone (items may have their own). */
  readonly clock: ZoneClock;
  readonly roles: ReadonlyMap<string, CompiledRole>;
  readonly practitioners: ReadonlyMap<string, Practitioner>;
  /** Shared, frozen {id, name} per practitioner: resolution allocates none. */
  readonly refs: ReadonlyMap<string, Readonly<{ id: string; name: string }>>;
  /** Each practitioner's contacts in preference order (preferredChannels, else as listed). */
  readonly defaultContacts: ReadonlyMap<string, readonly Readonly<{ kind: ChannelKind; address: string }>[]>;
  /** Practitioner id or any of their identifiers (e.g. an NPI from OBR-16) -> practitioner id. */
  readonly practitionerByIdentifier: ReadonlyMap<string, string>;
  readonly groups: ReadonlyMap<string, readonly string[]>;
  readonly policies: ReadonlyMap<string, EscalationPolicy>;
  /** Practitioners' own duty hours (clinic hours), for "on duty gets it directly". */
  readonly dutyHours: ReadonlyMap<string, CompiledCoverage>;
}

/** A practitioner's channels of the given kinds in that order; all channels as listed without kinds. */
export const contactsInOrder = (
  p: Practitioner,
  kinds: readonly ChannelKind[] | undefined,
): Readonly<{ kind: ChannelKind; address: string }>[] =>
  kinds === undefined
    ? p.channels.map((c) => Object.freeze({ kind: c.kind, address: c.address }))
    : kinds.flatMap((k) => p.channels.filter((c) => c.kind === k).map((c) => Object.freeze({ kind: c.kind, address: c.address })));

export const compileSchedule = (schedule: Schedule): Result<CompiledSchedule, RoutingError> => {
  const errors = checkReferences(schedule).filter((f) => f.severity === 'error');
  if (errors.length > 0) {
    return err(
      routingError(
        'ERR_SCHEDULE_REFERENCE',
        `schedule has ${errors.length} reference error(s)`,
        errors.map((f) => ({ path: f.path, message: f.message })),
      ),
    );
  }
  const clock = clockFor(schedule, undefined);
  const rotations = new Map<string, CoverageSource>(schedule.rotations.map((r) => [r.id, compileRotation(r, clockFor(schedule, r.timeZone))]));

  const overridesByRole = new Map<string, { start: number; end: number; value: OverrideRef; rank: number }[]>();
  schedule.overrides.forEach((o, i) => {
    const list = overridesByRole.get(o.role) ?? [];
    list.push({
      ...intervalOf(o, clockFor(schedule, o.timeZone)),
      value: { id: o.id ?? `overrides[${i}]`, practitioner: o.practitioner, reason: o.reason },
      rank: i,
    });
    overridesByRole.set(o.role, list);
  });

  const roles = new Map<string, CompiledRole>();
  for (const role of schedule.roles) {
    roles.set(role.id, {
      role,
      layersTopFirst: role.layers.map((l) => compileCoverage(l, rotations, clockFor(schedule, l.timeZone))).reverse(),
      backups: role.backups.map((b) => compileCoverage(b, rotations, clockFor(schedule, b.timeZone))),
      overrides: flatten(overridesByRole.get(role.id) ?? []),
    });
  }

  const practitionerByIdentifier = new Map<string, string>();
  for (const p of schedule.practitioners) {
    practitionerByIdentifier.set(p.id, p.id);
    for (const ident of p.identifiers) practitionerByIdentifier.set(ident, p.id);
  }
  const dutyHours = new Map<string, CompiledCoverage>();
  for (const p of schedule.practitioners) {
    if (p.dutyHours !== undefined) {
      dutyHours.set(p.id, compileCoverage({ id: `duty:${p.id}`, practitioner: p.id, windows: p.dutyHours }, rotations, clockFor(schedule, p.timeZone)));
    }
  }

  return ok({
    schedule,
    timeZone: schedule.timeZone,
    clock,
    roles,
    practitioners: new Map(schedule.practitioners.map((p) => [p.id, p])),
    refs: new Map(schedule.practitioners.map((p) => [p.id, Object.freeze({ id: p.id, name: p.name })])),
    defaultContacts: new Map(schedule.practitioners.map((p) => [p.id, Object.freeze(contactsInOrder(p, p.preferredChannels))])),
    practitionerByIdentifier,
    groups: new Map(schedule.groups.map((g) => [g.id, g.members])),
    policies: new Map(schedule.escalationPolicies.map((p) => [p.id, p])),
    dutyHours,
  });
};
