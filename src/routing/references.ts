import type { LintFinding } from './errors.js';
import { clockFor, intervalOf } from './intervals.js';
import type { CoverageEntry, Schedule, Target } from './schedule-schema.js';
import { isValidZone } from '../time/index.js';

/**
 * Referential checks of a structurally valid schedule: every id points at something, ids are
 * unique, every time zone exists, intervals are non-empty. `error` findings stop compilation
 * (fail closed: we never page "someone" for an id we cannot resolve); `warning`s are reported by
 * lint only. Messages name what is wrong, never the offending text: the path says where it is.
 */
export const checkReferences = (s: Schedule): LintFinding[] => {
  const out: LintFinding[] = [];
  const error = (code: LintFinding['code'], path: string, message: string, role?: string): void => {
    out.push({ code, severity: 'error', path, message, ...(role === undefined ? {} : { role }) });
  };
  const warn = (code: LintFinding['code'], path: string, message: string): void => {
    out.push({ code, severity: 'warning', path, message });
  };

  const zoneOk = (zone: string | undefined, path: string): boolean => {
    if (zone === undefined || isValidZone(zone)) return true;
    error('INVALID_TIME_ZONE', path, 'not an IANA time zone name (e.g. America/New_York)');
    return false;
  };
  const scheduleZoneOk = zoneOk(s.timeZone, 'timeZone');

  const ids = <T extends { id: string }>(list: readonly T[], path: string): Set<string> => {
    const seen = new Set<string>();
    list.forEach((x, i) => {
      if (seen.has(x.id)) error('DUPLICATE_ID', `${path}[${i}].id`, `an earlier item of ${path} has the same id`);
      seen.add(x.id);
    });
    return seen;
  };
  const orgs = ids(s.organizations, 'organizations');
  const services = ids(s.services, 'services');
  const people = ids(s.practitioners, 'practitioners');
  const groups = ids(s.groups, 'groups');
  const rotations = ids(s.rotations, 'rotations');
  const roles = ids(s.roles, 'roles');
  const policies = ids(s.escalationPolicies, 'escalationPolicies');

  const person = (pid: string, path: string, role?: string): void => {
    if (!people.has(pid)) error('UNKNOWN_PRACTITIONER', path, 'no practitioner has this id', role);
  };
  const policy = (pid: string | undefined, path: string): void => {
    if (pid !== undefined && !policies.has(pid)) error('UNKNOWN_POLICY', path, 'no escalation policy has this id');
  };
  const role = (rid: string | undefined, path: string): void => {
    if (rid !== undefined && !roles.has(rid)) error('UNKNOWN_ROLE', path, 'no role has this id');
  };
  /** A shift or override must end after it starts, read in its own zone (checked once the zone is known valid). */
  const interval = (item: { start: string; end?: string | undefined; duration?: string | undefined; timeZone?: string | undefined }, zone: string | undefined, path: string): void => {
    if (!scheduleZoneOk || (zone !== undefined && !isValidZone(zone))) return;
    const { start, end } = intervalOf(item, clockFor(s, zone));
    if (!(end > start)) error('INVALID_INTERVAL', path, 'end is not after start');
  };

  s.services.forEach((sv, i) => {
    if (sv.organization !== undefined && !orgs.has(sv.organization)) {
      error('UNKNOWN_ORGANIZATION', `services[${i}].organization`, 'no organization has this id');
    }
  });
  s.practitioners.forEach((p, i) => {
    role(p.coveredBy, `practitioners[${i}].coveredBy`);
    zoneOk(p.timeZone, `practitioners[${i}].timeZone`);
    if (p.channels.length === 0) warn('NO_CHANNEL', `practitioners[${i}].channels`, 'the practitioner has no contact channel');
  });
  s.groups.forEach((g, i) => {
    g.members.forEach((m, j) => person(m, `groups[${i}].members[${j}]`));
    if (g.members.length === 0) warn('EMPTY_GROUP', `groups[${i}].members`, 'the group has no members');
  });
  s.rotations.forEach((r, i) => {
    r.participants.forEach((m, j) => person(m, `rotations[${i}].participants[${j}]`));
    zoneOk(r.timeZone, `rotations[${i}].timeZone`);
    if (r.participants.length === 0) warn('EMPTY_ROTATION', `rotations[${i}].participants`, 'the rotation has no participants: it covers nobody');
  });
  const coverage = (c: CoverageEntry, path: string, rid: string): void => {
    if (c.rotation !== undefined && !rotations.has(c.rotation)) error('UNKNOWN_ROTATION', `${path}.rotation`, 'no rotation has this id', rid);
    if (c.practitioner !== undefined) person(c.practitioner, `${path}.practitioner`, rid);
    zoneOk(c.timeZone, `${path}.timeZone`);
    c.shifts?.forEach((sh, k) => {
      person(sh.practitioner, `${path}.shifts[${k}].practitioner`, rid);
      interval(sh, c.timeZone, `${path}.shifts[${k}]`);
    });
  };
  s.roles.forEach((r, i) => {
    if (r.service !== undefined && !services.has(r.service)) error('UNKNOWN_SERVICE', `roles[${i}].service`, 'no service has this id', r.id);
    policy(r.escalationPolicy, `roles[${i}].escalationPolicy`);
    ids(r.layers, `roles[${i}].layers`);
    r.layers.forEach((l, j) => coverage(l, `roles[${i}].layers[${j}]`, r.id));
    r.backups.forEach((b, j) => coverage(b, `roles[${i}].backups[${j}]`, r.id));
  });
  s.overrides.forEach((o, i) => {
    role(o.role, `overrides[${i}].role`);
    person(o.practitioner, `overrides[${i}].practitioner`, o.role);
    if (zoneOk(o.timeZone, `overrides[${i}].timeZone`)) interval(o, o.timeZone, `overrides[${i}]`);
  });
  const target = (t: Target, path: string): void => {
    if (t.kind === 'role' || t.kind === 'backups') role(t.role, `${path}.role`);
    else if (t.kind === 'practitioner') person(t.practitioner, `${path}.practitioner`);
    else if (!groups.has(t.group)) error('UNKNOWN_GROUP', `${path}.group`, 'no group has this id');
  };
  s.escalationPolicies.forEach((p, i) => {
    p.steps.forEach((st, j) => st.targets.forEach((t, k) => target(t, `escalationPolicies[${i}].steps[${j}].targets[${k}]`)));
    p.fallback?.targets.forEach((t, k) => target(t, `escalationPolicies[${i}].fallback.targets[${k}]`));
  });
  s.routing?.rules.forEach((r, i) => {
    role(r.role, `routing.rules[${i}].role`);
    policy(r.escalationPolicy, `routing.rules[${i}].escalationPolicy`);
  });
  role(s.routing?.default?.role, 'routing.default.role');
  policy(s.routing?.default?.escalationPolicy, 'routing.default.escalationPolicy');
  return out;
};
