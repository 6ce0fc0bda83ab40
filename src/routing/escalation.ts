import { backupsAt, practitionerRef, primaryAt, type Assignment, type PractitionerRef } from './assignment.js';
import { contactsInOrder, type CompiledSchedule } from './compile.js';
import type { ChannelKind, EscalationPolicy, Target } from './schedule-schema.js';
import { durationMs } from './duration.js';

/**
 * An escalation policy expanded at one instant into concrete people: steps in order, the whole
 * list repeated `repeat` more times, then the fallback (e.g. the answering-service supervisor) as
 * the final step. A step's `waitMinutes` is how long to wait for an acknowledgement before the
 * next step, as configured; the fallback step's is 0 (nothing follows it).
 */

export interface Contact {
  readonly kind: ChannelKind;
  readonly address: string;
}

export interface EscalationTarget extends PractitionerRef {
  /** How the target was reached: `role:ob-night`, `backups:ob-night`, `practitioner`, `group:ob-partners`. */
  readonly via: string;
  /** The channels to use, in order: the step's channel kinds, else the practitioner's preference. */
  readonly contacts: readonly Contact[];
}

export interface EscalationStep {
  /** 1-based position in the expanded chain. */
  readonly step: number;
  /** 0 for the first pass, 1.. for repeats; null for the fallback step. */
  readonly pass: number | null;
  readonly targets: readonly EscalationTarget[];
  readonly waitMinutes: number;
  /** The same wait exactly, in ms (a step may give it as `wait: "PT20S"`). */
  readonly waitMs: number;
  /** Per-person ladder: each target's contacts this long apart (null: all at once). */
  readonly ladderWaitMs: number | null;
  /** Targets that resolved to nobody (e.g. "role 'ob-night' has nobody on call"): never silent. */
  readonly unresolved: readonly string[];
}

/** Without a policy, a role escalates to its primary alone. */
export const IMPLICIT_POLICY: EscalationPolicy = {
  id: 'implicit',
  steps: [{ targets: [{ kind: 'role' }], waitMinutes: 0 }],
  repeat: 0,
};

const contactsFor = (compiled: CompiledSchedule, id: string, kinds: readonly ChannelKind[] | undefined): readonly Contact[] => {
  if (kinds === undefined) return compiled.defaultContacts.get(id) ?? [];
  const p = compiled.practitioners.get(id);
  return p === undefined ? [] : contactsInOrder(p, kinds);
};

/** Per-build memo: each role is resolved once per chain, however many steps name it. */
type Memo = Map<string, { primary: Assignment | null; backups?: Assignment[] }>;

const primaryOf = (compiled: CompiledSchedule, memo: Memo, rid: string, at: number): Assignment | null => {
  const hit = memo.get(rid);
  if (hit !== undefined) return hit.primary;
  const role = compiled.roles.get(rid);
  const primary = role === undefined ? null : primaryAt(compiled, role, at);
  memo.set(rid, { primary });
  return primary;
};

const backupsOf = (compiled: CompiledSchedule, memo: Memo, rid: string, at: number): Assignment[] => {
  const primary = primaryOf(compiled, memo, rid, at);
  const entry = memo.get(rid) ?? { primary };
  if (entry.backups === undefined) {
    const role = compiled.roles.get(rid);
    entry.backups = role === undefined ? [] : backupsAt(compiled, role, at, primary?.practitioner.id);
    memo.set(rid, entry);
  }
  return entry.backups;
};

const resolveTarget = (
  compiled: CompiledSchedule,
  memo: Memo,
  roleId: string,
  target: Target,
  at: number,
): { people: { id: string; via: string }[]; unresolved: string | null } => {
  switch (target.kind) {
    case 'role': {
      const rid = target.role ?? roleId;
      const p = primaryOf(compiled, memo, rid, at);
      return p === null
        ? { people: [], unresolved: `role '${rid}' has nobody on call` }
        : { people: [{ id: p.practitioner.id, via: `role:${rid}` }], unresolved: null };
    }
    case 'backups': {
      const rid = target.role ?? roleId;
      if (!compiled.roles.has(rid)) return { people: [], unresolved: `role '${rid}' is unknown` };
      const b = backupsOf(compiled, memo, rid, at);
      return b.length === 0
        ? { people: [], unresolved: `role '${rid}' has no backup on call` }
        : { people: b.map((a) => ({ id: a.practitioner.id, via: `backups:${rid}` })), unresolved: null };
    }
    case 'practitioner':
      return { people: [{ id: target.practitioner, via: 'practitioner' }], unresolved: null };
    case 'group': {
      const members = compiled.groups.get(target.group) ?? [];
      return members.length === 0
        ? { people: [], unresolved: `group '${target.group}' has no members` }
        : { people: members.map((id) => ({ id, via: `group:${target.group}` })), unresolved: null };
    }
  }
};

const buildStep = (
  compiled: CompiledSchedule,
  memo: Memo,
  roleId: string,
  at: number,
  targets: readonly Target[],
  channels: readonly ChannelKind[] | undefined,
): { targets: EscalationTarget[]; unresolved: string[] } => {
  const out: EscalationTarget[] = [];
  const unresolved: string[] = [];
  for (const t of targets) {
    const r = resolveTarget(compiled, memo, roleId, t, at);
    if (r.unresolved !== null) unresolved.push(r.unresolved);
    for (const p of r.people) {
      if (out.some((x) => x.id === p.id)) continue; // one notification per person per step
      const ref = practitionerRef(compiled, p.id);
      out.push({ id: ref.id, name: ref.name, via: p.via, contacts: contactsFor(compiled, p.id, channels) });
    }
  }
  return { targets: out, unresolved };
};

export const buildEscalation = (
  compiled: CompiledSchedule,
  roleId: string,
  policy: EscalationPolicy,
  at: number,
  /** The routed role's own primary and backups, when the caller has them already. */
  own?: { readonly primary: Assignment | null; readonly backups: Assignment[] },
): EscalationStep[] => {
  const memo: Memo = new Map();
  if (own !== undefined) memo.set(roleId, { primary: own.primary, backups: own.backups });
  const steps: EscalationStep[] = [];
  for (let pass = 0; pass <= policy.repeat; pass++) {
    for (const s of policy.steps) {
      const built = buildStep(compiled, memo, roleId, at, s.targets, s.channels);
      const waitMs = s.wait === undefined ? (s.waitMinutes ?? 0) * 60_000 : durationMs(s.wait);
      const ladderWaitMs = s.ladderWait === undefined ? null : durationMs(s.ladderWait);
      steps.push({ step: steps.length + 1, pass, waitMinutes: waitMs / 60_000, waitMs, ladderWaitMs, ...built });
    }
  }
  if (policy.fallback !== undefined) {
    const built = buildStep(compiled, memo, roleId, at, policy.fallback.targets, policy.fallback.channels);
    steps.push({ step: steps.length + 1, pass: null, waitMinutes: 0, waitMs: 0, ladderWaitMs: null, ...built });
  }
  return steps;
};
