// The escalation chain of a run at one instant (pure). Targets are resolved when a step fires,
// not when the run starts: like on-call tools (PagerDuty, Opsgenie) we page whoever is on call
// at that moment, so a hand-off between step 1 and step 3 pages the new person — the one who
// left at 07:00 is not woken at 07:05 for a shift that is no longer theirs.
import { oncall, type CompiledSchedule, type EscalationPolicy, type EscalationStep } from '../routing/index.js';

export interface RunRef {
  readonly role: string | null;
  readonly policy: string;
  /** a provider the message went to directly (routing `directTo`): step 1, before the role's chain */
  readonly direct_to: string | null;
}

export type Chain = { readonly ok: true; readonly steps: readonly EscalationStep[] } | { readonly ok: false; readonly reason: string };

/** The policy a run follows now: its own, else (deleted since) the role's; `implicit` is the primary alone. */
export const policyOf = (c: CompiledSchedule, run: RunRef): EscalationPolicy | undefined =>
  c.policies.get(run.policy) ?? (run.role === null ? undefined : c.policies.get(c.roles.get(run.role)?.role.escalationPolicy ?? ''));

const roleChain = (c: CompiledSchedule, run: RunRef, at: number): Chain => {
  if (run.role === null) return { ok: true, steps: [] };
  const policy = run.policy === 'implicit' || !c.policies.has(run.policy) ? undefined : run.policy;
  const r = oncall(c, run.role, at, { policy });
  return r.ok ? { ok: true, steps: r.value.escalation } : { ok: false, reason: r.error.message };
};

/** The chain at `at`: the direct step (when routed to a provider), then the role's steps, renumbered. */
export const chainAt = (c: CompiledSchedule | undefined, run: RunRef, at: number): Chain => {
  if (c === undefined) return { ok: false, reason: 'no schedule is stored' };
  const chain = roleChain(c, run, at);
  if (!chain.ok || run.direct_to === null) return chain;
  const first = chain.steps[0];
  const ref = c.refs.get(run.direct_to);
  const direct: EscalationStep = {
    step: 1,
    pass: 0,
    targets: ref === undefined ? [] : [{ id: ref.id, name: ref.name, via: 'direct', contacts: c.defaultContacts.get(ref.id) ?? [] }],
    waitMinutes: first?.waitMinutes ?? 0,
    waitMs: first?.waitMs ?? 0,
    ladderWaitMs: first?.ladderWaitMs ?? null,
    unresolved: ref === undefined ? [`practitioner '${run.direct_to}' is no longer in the schedule`] : [],
  };
  return { ok: true, steps: [direct, ...chain.steps.map((s) => ({ ...s, step: s.step + 1 }))] };
};

export type StepPlan =
  /** fire this step; `last`: nothing follows it */
  | { readonly kind: 'fire'; readonly step: EscalationStep; readonly last: boolean }
  /** the step resolves to nobody: alert, and fire the fallback (when it has someone) at once */
  | { readonly kind: 'nobody'; readonly step: EscalationStep; readonly fallback: EscalationStep | null }
  /** past the last step */
  | { readonly kind: 'done' };

export const planStep = (steps: readonly EscalationStep[], n: number): StepPlan => {
  const step = steps[n - 1];
  if (step === undefined) return { kind: 'done' };
  if (step.targets.length > 0) return { kind: 'fire', step, last: n === steps.length };
  const fallback = steps.find((s) => s.pass === null && s.step > n && s.targets.length > 0) ?? null;
  return { kind: 'nobody', step, fallback };
};
