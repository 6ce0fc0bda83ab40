import { primaryAt, practitionerRef, type PractitionerRef } from './assignment.js';
import type { CompiledSchedule } from './compile.js';
import { err, ok, routingError, type Result, type RoutingError } from './errors.js';
import { explainAssignment } from './explain.js';
import { oncall, type OncallResult } from './oncall.js';
import type { RoutingRule } from './schedule-schema.js';

/**
 * Routing rules: message attributes -> rule -> role + escalation policy -> who.
 * Rules are tried in listed order; the first whose every `when` field matches wins (a field
 * given as a list matches any of its values; matching is exact and case-sensitive). No rule ->
 * `routing.default`; no default -> ERR_NO_ROUTE (fail closed: the message is `failed`, visible).
 */

export interface MessageAttributes {
  /** MSH-9.1, e.g. `ORU`. */
  readonly messageType?: string | undefined;
  /** MSH-9.2, e.g. `R01`. */
  readonly triggerEvent?: string | undefined;
  /** MSH-4. */
  readonly sendingFacility?: string | undefined;
  /** OBR-16 / ORC-12 id (practitioner id or one of their identifiers, e.g. NPI). */
  readonly orderingProvider?: string | undefined;
  /** PV1-7 id. */
  readonly attendingProvider?: string | undefined;
  /** The patient's practice, or a call note's practice. */
  readonly practice?: string | undefined;
  /** A call note's service (cardiology, ob...). */
  readonly service?: string | undefined;
  /** Triage category, e.g. `critical-lab`. */
  readonly category?: string | undefined;
  /** Triage priority: routine | urgent | asap | stat. */
  readonly priority?: string | undefined;
}

export type Recipient =
  | { readonly kind: 'provider'; readonly practitioner: PractitionerRef; readonly as: 'ordering' | 'attending' }
  | { readonly kind: 'role'; readonly role: string; readonly coveringFor?: PractitionerRef | undefined };

export interface RouteDecision {
  /** The matching rule's id, or `default`. */
  readonly rule: string;
  readonly recipient: Recipient;
  /** The role whose escalation chain follows (after the provider, when sent directly). */
  readonly oncall: OncallResult;
  readonly explanation: string;
}

const matches = (rule: RoutingRule, m: MessageAttributes): boolean =>
  Object.entries(rule.when).every(([field, want]) => {
    const have = m[field as keyof MessageAttributes];
    if (have === undefined || want === undefined) return false;
    return typeof want === 'string' ? have === want : want.includes(have);
  });

/** On duty: inside their duty hours, or the primary of some role at `now`. */
export const isOnDuty = (c: CompiledSchedule, practitionerId: string, now: number): boolean => {
  if (c.dutyHours.get(practitionerId)?.at(now) != null) return true;
  for (const role of c.roles.values()) if (primaryAt(c, role, now)?.practitioner.id === practitionerId) return true;
  return false;
};

export const routeMessage = (c: CompiledSchedule, m: MessageAttributes, now: number): Result<RouteDecision, RoutingError> => {
  const rule = c.schedule.routing?.rules.find((r) => matches(r, m));
  const def = c.schedule.routing?.default;
  const chosen = rule ?? (def === undefined ? undefined : { id: 'default', role: def.role, escalationPolicy: def.escalationPolicy, directTo: undefined });
  if (chosen === undefined) return err(routingError('ERR_NO_ROUTE', 'no routing rule matches and no default route is configured'));

  let recipient: Recipient = { kind: 'role', role: chosen.role };
  let policy = chosen.escalationPolicy;
  for (const as of chosen.directTo ?? []) {
    const raw = as === 'ordering' ? m.orderingProvider : m.attendingProvider;
    const pid = raw === undefined ? undefined : c.practitionerByIdentifier.get(raw);
    if (pid === undefined) continue;
    if (isOnDuty(c, pid, now)) {
      recipient = { kind: 'provider', practitioner: practitionerRef(c, pid), as };
      break;
    }
    const covering = c.practitioners.get(pid)?.coveredBy;
    if (covering !== undefined) {
      recipient = { kind: 'role', role: covering, coveringFor: practitionerRef(c, pid) };
      policy ??= c.roles.get(covering)?.role.escalationPolicy;
      break;
    }
  }
  const roleId = recipient.kind === 'role' ? recipient.role : chosen.role;
  const r = oncall(c, roleId, now, { policy });
  if (!r.ok) return r;

  const head = `rule '${chosen.id}', role ${roleId}`;
  const explanation =
    recipient.kind === 'provider'
      ? `${head}, ${recipient.as} provider ${recipient.practitioner.name} is on duty: sent directly; then ${explainAssignment(r.value.primary, c.timeZone)}`
      : `${head}${recipient.coveringFor === undefined ? '' : ` covering for off-duty ${recipient.coveringFor.name}`}, ${explainAssignment(r.value.primary, c.timeZone)}`;
  return ok({ rule: chosen.id, recipient, oncall: r.value, explanation });
};
