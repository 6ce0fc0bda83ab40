import { createHash } from 'node:crypto';
import type { ContactPoint, PractitionerRole, PractitionerRoleAvailableTime, Schedule, Slot } from 'fhir/r4.js';
import type { CompiledSchedule } from './compile.js';
import { coverage, type CoverageSegment } from './coverage.js';
import { explainAssignment } from './explain.js';
import { err, ok, routingError, type Result, type RoutingError } from './errors.js';
import { formatInstant, WEEKDAYS } from '../time/index.js';
import type { ChannelKind, WeeklyWindow } from './schedule-schema.js';

/**
 * FHIR R4 view of on-call coverage, built purely from the compiled schedule:
 *  - one PractitionerRole per (role, practitioner) who is primary in [from, to): `code` is the
 *    on-call role, `period` spans their first to last covered instant, `availableTime` is the
 *    weekly windows of the layers they cover (allDay for a layer without windows);
 *  - one Schedule per role (`serviceType` = the role, `actor` = those PractitionerRoles) and one
 *    Slot per coverage segment: `busy` when someone is on call (`comment` names who and why),
 *    `free` for a gap (an unfilled on-call slot).
 */

export const ONCALL_ROLE_SYSTEM = 'urn:switchboard:oncall-role';
export const SERVICE_SYSTEM = 'urn:switchboard:service';

const TELECOM: Record<ChannelKind, ContactPoint['system']> = {
  voice: 'phone',
  sms: 'sms',
  pager: 'pager',
  email: 'email',
  push: 'other',
  inbox: 'other',
  webhook: 'url',
};

const availableTime = (windows: readonly WeeklyWindow[] | undefined): PractitionerRoleAvailableTime[] =>
  windows === undefined
    ? [{ daysOfWeek: [...WEEKDAYS], allDay: true }]
    : windows.map((w) => ({
        daysOfWeek: [...w.days],
        availableStartTime: `${w.start}:00`,
        // A window past midnight ends the next day; FHIR availableTime cannot say so, so it
        // is expressed as start..23:59:59 on the listed days (see period/Slots for exact times).
        availableEndTime: w.end > w.start ? `${w.end}:00` : '23:59:59',
      }));

const roleCode = (c: CompiledSchedule, roleId: string) => ({
  coding: [{ system: ONCALL_ROLE_SYSTEM, code: roleId, display: c.roles.get(roleId)?.role.name ?? roleId }],
});

/** FHIR R4 datatypes.html#id */
const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;

/**
 * Schedule ids may hold `_` and `:` and be long; FHIR ids may not. A valid id is kept; any other
 * becomes its legal characters (cut to 51) plus a hash of the original, so it stays unique and stable.
 */
export const toFhirId = (raw: string): string => {
  if (FHIR_ID.test(raw)) return raw;
  const hash = createHash('sha256').update(raw).digest('hex').slice(0, 12);
  return `${raw.replace(/[^A-Za-z0-9\-.]/g, '-').slice(0, 51)}.${hash}`;
};

export const practitionerRoleId = (roleId: string, practitionerId: string): string => toFhirId(`oncall-${roleId}-${practitionerId}`);
const scheduleIdOf = (roleId: string): string => toFhirId(`oncall-${roleId}`);

export const toPractitionerRoles = (
  c: CompiledSchedule,
  roleId: string,
  from: number,
  to: number,
): Result<PractitionerRole[], RoutingError> => {
  const timeline = coverage(c, roleId, from, to);
  return timeline.ok ? practitionerRolesOf(c, roleId, timeline.value) : timeline;
};

/** PractitionerRoles from a coverage timeline already computed for the role. */
const practitionerRolesOf = (c: CompiledSchedule, roleId: string, timeline: readonly CoverageSegment[]): Result<PractitionerRole[], RoutingError> => {
  const role = c.roles.get(roleId);
  if (role === undefined) return err(routingError('ERR_ROLE_UNKNOWN', 'no role with this id in the schedule'));
  const byPerson = new Map<string, { start: number; end: number; layers: Set<string> }>();
  for (const seg of timeline) {
    if (seg.primary === null) continue;
    const pid = seg.primary.practitioner.id;
    const entry = byPerson.get(pid) ?? { start: seg.start, end: seg.end, layers: new Set<string>() };
    entry.end = seg.end;
    if (seg.primary.via.kind === 'layer') entry.layers.add(seg.primary.via.layer);
    byPerson.set(pid, entry);
  }
  const out: PractitionerRole[] = [];
  for (const [pid, e] of byPerson) {
    const p = c.practitioners.get(pid);
    const layers = role.layersTopFirst.filter((l) => e.layers.has(l.id));
    const times = layers.length === 0 ? availableTime(undefined) : layers.flatMap((l) => availableTime(l.windows));
    out.push({
      resourceType: 'PractitionerRole',
      id: practitionerRoleId(roleId, pid),
      active: true,
      period: { start: formatInstant(e.start, c.timeZone), end: formatInstant(e.end, c.timeZone) },
      practitioner: { reference: `Practitioner/${toFhirId(pid)}`, display: p?.name ?? pid },
      code: [roleCode(c, roleId)],
      ...(role.role.service === undefined ? {} : { specialty: [{ coding: [{ system: SERVICE_SYSTEM, code: role.role.service }] }] }),
      telecom: (p?.channels ?? []).map((ch) => ({ system: TELECOM[ch.kind], value: ch.address })),
      availableTime: times,
    });
  }
  return ok(out);
};

export const toFhirSchedule = (
  c: CompiledSchedule,
  roleId: string,
  from: number,
  to: number,
): Result<{ schedule: Schedule; slots: Slot[]; practitionerRoles: PractitionerRole[] }, RoutingError> => {
  const timeline = coverage(c, roleId, from, to);
  if (!timeline.ok) return timeline;
  const roles = practitionerRolesOf(c, roleId, timeline.value);
  if (!roles.ok) return roles;
  const scheduleId = scheduleIdOf(roleId);
  const schedule: Schedule = {
    resourceType: 'Schedule',
    id: scheduleId,
    active: true,
    serviceType: [roleCode(c, roleId)],
    actor: roles.value.map((r) => ({ reference: `PractitionerRole/${r.id ?? ''}`, display: r.practitioner?.display ?? '' })),
    planningHorizon: { start: formatInstant(from, c.timeZone), end: formatInstant(to, c.timeZone) },
    comment: `on-call coverage of ${c.roles.get(roleId)?.role.name ?? roleId}, time zone ${c.timeZone}`,
  };
  const slots: Slot[] = timeline.value.map((seg) => ({
    resourceType: 'Slot',
    id: toFhirId(`oncall-${roleId}-${seg.start}`),
    schedule: { reference: `Schedule/${scheduleId}` },
    serviceType: [roleCode(c, roleId)],
    status: seg.primary === null ? 'free' : 'busy',
    start: formatInstant(seg.start, c.timeZone),
    end: formatInstant(seg.end, c.timeZone),
    comment: explainAssignment(seg.primary, c.timeZone),
  }));
  return ok({ schedule, slots, practitionerRoles: roles.value });
};
