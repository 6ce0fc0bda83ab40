import { backupsAt, primaryAt, type Assignment } from './assignment.js';
import type { CompiledSchedule } from './compile.js';
import { err, ok, routingError, type Result, type RoutingError } from './errors.js';
import { buildEscalation, IMPLICIT_POLICY, type EscalationStep } from './escalation.js';

/** Who is on call for a role at an instant: `oncall(role, at)`. Pure; `at` is epoch ms. */

export interface OncallResult {
  readonly role: { readonly id: string; readonly name: string };
  readonly at: number;
  readonly timeZone: string;
  /** null = nobody covers this instant (a gap; lint reports it too). */
  readonly primary: Assignment | null;
  readonly backups: readonly Assignment[];
  /** The policy used: the rule's, else the role's, else `implicit` (the primary alone). */
  readonly policy: string;
  readonly escalation: readonly EscalationStep[];
}

export interface OncallOptions {
  /** Escalation policy id chosen by a routing rule; defaults to the role's own. */
  readonly policy?: string | undefined;
}

/** The primary alone (no backups, no chain): who `oncall` names, for callers that need only that. */
export const primaryOf = (compiled: CompiledSchedule, roleId: string, at: number): Result<Assignment | null, RoutingError> => {
  const role = compiled.roles.get(roleId);
  if (role === undefined) return err(routingError('ERR_ROLE_UNKNOWN', 'no role with this id in the schedule'));
  return ok(primaryAt(compiled, role, at));
};

export const oncall = (
  compiled: CompiledSchedule,
  roleId: string,
  at: number,
  options: OncallOptions = {},
): Result<OncallResult, RoutingError> => {
  const role = compiled.roles.get(roleId);
  if (role === undefined) return err(routingError('ERR_ROLE_UNKNOWN', 'no role with this id in the schedule'));
  if (!Number.isFinite(at)) return err(routingError('ERR_INSTANT_INVALID', 'instant is not a finite epoch-ms number'));
  const policyId = options.policy ?? role.role.escalationPolicy;
  const policy = policyId === undefined ? IMPLICIT_POLICY : compiled.policies.get(policyId);
  if (policy === undefined) return err(routingError('ERR_POLICY_UNKNOWN', 'no escalation policy with this id in the schedule'));
  const primary = primaryAt(compiled, role, at);
  const backups = backupsAt(compiled, role, at, primary?.practitioner.id);
  return ok({
    role: { id: role.role.id, name: role.role.name },
    at,
    timeZone: compiled.timeZone,
    primary,
    backups,
    policy: policy.id,
    escalation: buildEscalation(compiled, roleId, policy, at, { primary, backups }),
  });
};
