// What a run's due timer does (pure): given the run, the schedule and the request's stored status
// at `now`, the run's next state and the rows to write. One step of a message's life:
// notified(step n) -> escalated(step n+1) when the deadline passes unacknowledged, repeats, then the
// fallback; a request resolved elsewhere or older than the limit expires without paging anyone.
import type { CompiledSchedule, EscalationStep } from '../routing/index.js';
import type { RunRow, RunUpdate } from '../store/index.js';
import { chainAt, planStep, policyOf, type Chain } from './chain.js';
import { emptyRows, event, notifyTargets, type Rows, type Target } from './dispatch.js';
import { durationMs } from '../routing/index.js';
import { heldEvent, holdFor } from './triage.js';

export interface DeliverySettings {
  /** a run whose message arrived longer ago than this never pages anyone (stale) */
  readonly maxAgeMs: number;
  /** start of day for routine digests when neither practitioner nor role sets one (HH:MM, schedule's zone) */
  readonly startOfDay: string;
  /** re-notifications of an acknowledged message that gets no response, at most */
  readonly renotifyMax: number;
}

/** Why an alert was raised: never silence when nobody can be paged. */
export type AlertReason = 'nobody_oncall' | 'no_chain' | 'unacknowledged';

export interface DecideContext {
  readonly compiled: CompiledSchedule | undefined;
  readonly now: number;
  /** the stored CommunicationRequest's status (undefined: not stored) */
  readonly head: { readonly status: string | null } | undefined;
  readonly settings: DeliverySettings;
  /** chains already built at this `now`, by role, policy and direct recipient (a batch shares them) */
  readonly chains?: Map<string, Chain>;
}

export interface Decision {
  readonly update: RunUpdate;
  readonly rows: Rows;
  readonly alerts: readonly AlertReason[];
  /** the run ended (expired): its pending outbox rows are cancelled */
  readonly cancelPending: boolean;
  /** targets notified in digest mode (routine): their push and webhook go out in one digest each */
  readonly digestTargets: readonly Target[];
}

const OPEN_FOR_STEPS = new Set(['active', 'held', 'exhausted']);

const updateOf = (run: RunRow): RunUpdate => ({
  request_id: run.request_id, state: run.state, step: run.step, due_at: run.due_at, due_kind: run.due_kind, renotified: run.renotified,
  acknowledged_at: run.acknowledged_at, acknowledged_by: run.acknowledged_by, responded_at: run.responded_at,
  closed_at: run.closed_at, close_reason: run.close_reason,
});

const result = (update: RunUpdate, rows: Rows, o: Partial<Pick<Decision, 'alerts' | 'cancelPending' | 'digestTargets'>> = {}): Decision => ({
  update, rows, alerts: o.alerts ?? [], cancelPending: o.cancelPending ?? false, digestTargets: o.digestTargets ?? [],
});

const stop = (u: RunUpdate): RunUpdate => ({ ...u, due_at: null, due_kind: null });

function expire(run: RunRow, at: Date, reason: string): Decision {
  const rows = emptyRows();
  rows.events.push(event(run.request_id, at, 'expired', { step: run.step, reason }));
  return result({ ...stop(updateOf(run)), state: 'expired', closed_at: at, close_reason: reason }, rows, { cancelPending: true });
}

/** Stale runs expire: resolved elsewhere (the request is no longer active), or older than the limit. */
function staleReason(run: RunRow, ctx: DecideContext): string | null {
  const age = ctx.now - run.received_at.getTime();
  if (age > ctx.settings.maxAgeMs) return `stale: the message arrived ${Math.round(age / 60_000)} min ago, over the ${Math.round(ctx.settings.maxAgeMs / 60_000)} min limit`;
  if (run.due_kind === 'renotify') return null; // acknowledging completes the request; re-notifying follows it
  if (ctx.head === undefined) return 'the CommunicationRequest is not in the FHIR store';
  if (ctx.head.status !== 'active') return `resolved elsewhere: the CommunicationRequest is ${ctx.head.status ?? 'without a status'}`;
  return null;
}

export function decideRun(run: RunRow, ctx: DecideContext): Decision {
  const at = new Date(ctx.now);
  const stale = staleReason(run, ctx);
  if (stale !== null) return expire(run, at, stale);
  if (run.due_kind === 'renotify') return renotify(run, ctx, at);
  if (!OPEN_FOR_STEPS.has(run.state)) return result(stop(updateOf(run)), emptyRows());
  const hold = run.due_kind === 'step' && run.step === 0 ? holdFor(ctx.compiled, run, ctx.settings.startOfDay, ctx.now) : null;
  if (hold !== null) {
    const rows = emptyRows();
    rows.events.push(heldEvent(run.request_id, at, hold));
    return result({ ...updateOf(run), state: 'held', due_at: hold.due, due_kind: 'digest' }, rows);
  }
  const key = `${run.role ?? ''}\u001f${run.policy}\u001f${run.direct_to ?? ''}`;
  const chain = ctx.chains?.get(key) ?? chainAt(ctx.compiled, run, ctx.now);
  ctx.chains?.set(key, chain);
  if (!chain.ok) {
    const rows = emptyRows();
    rows.events.push(event(run.request_id, at, 'exhausted', { step: run.step, reason: `no escalation chain: ${chain.reason}` }));
    return result({ ...stop(updateOf(run)), state: 'exhausted' }, rows, { alerts: ['no_chain'] });
  }
  return fireStep(run, chain.steps, run.step + 1, at, run.due_kind === 'digest');
}

function fireStep(run: RunRow, steps: readonly EscalationStep[], n: number, at: Date, digest: boolean): Decision {
  const plan = planStep(steps, n);
  const rows = emptyRows();
  if (plan.kind === 'done') {
    rows.events.push(event(run.request_id, at, 'exhausted', { step: run.step, reason: `no acknowledgement after the last step (${steps.length})` }));
    return result({ ...stop(updateOf(run)), state: 'exhausted' }, rows, { alerts: ['unacknowledged'] });
  }
  if (plan.kind === 'nobody') {
    const who = plan.step.unresolved.join('; ') || 'the step has no targets';
    rows.events.push(event(run.request_id, at, 'nobody_oncall', { step: n, reason: plan.fallback ? `${who}: straight to the fallback (step ${plan.fallback.step})` : `${who}, and no fallback has anyone` }));
    if (plan.fallback === null) {
      rows.events.push(event(run.request_id, at, 'exhausted', { step: n, reason: 'nobody to notify' }));
      return result({ ...stop(updateOf(run)), state: 'exhausted', step: n }, rows, { alerts: ['nobody_oncall'] });
    }
    const fired = fireStep(run, steps, plan.fallback.step, at, digest);
    return { ...fired, rows: { ...fired.rows, events: [...rows.events, ...fired.rows.events] }, alerts: ['nobody_oncall', ...fired.alerts] };
  }
  const s = plan.step;
  const targets: Target[] = s.targets.map((t) => ({ id: t.id, via: t.via, contacts: t.contacts }));
  const fired = notifyTargets(run.request_id, 'step', n, targets, at, { step: n, ladderWaitMs: s.ladderWaitMs, digest });
  const label = s.pass === null ? 'fallback' : s.pass > 0 ? `repeat ${s.pass}` : null;
  rows.events.push(event(run.request_id, at, 'step_fired', {
    step: n,
    reason: `step ${n} of ${steps.length}${label ? ` (${label})` : ''}: ${targets.map((t) => t.id).join(', ')}${s.unresolved.length ? `; unresolved: ${s.unresolved.join('; ')}` : ''}${plan.last && s.waitMs === 0 ? '' : `; next in ${s.waitMs / 1000} s unless acknowledged`}`,
  }));
  const base = { ...updateOf(run), step: n };
  // the last step with no wait (the fallback): nothing follows; the message stays open for acknowledgement
  const update: RunUpdate = plan.last && s.waitMs === 0
    ? { ...stop(base), state: 'exhausted' }
    : { ...base, state: 'active', due_at: new Date(at.getTime() + s.waitMs), due_kind: 'step' };
  if (update.state === 'exhausted') fired.events.push(event(run.request_id, at, 'escalation_complete', { step: n, reason: 'the last step has fired; the message stays open until acknowledged' }));
  return result(update, { notifications: fired.notifications, attempts: fired.attempts, events: [...rows.events, ...fired.events] }, { digestTargets: digest ? targets : [] });
}

/** Acknowledged is not done: the acknowledger is reminded while no response follows, up to renotifyMax times. */
function renotify(run: RunRow, ctx: DecideContext, at: Date): Decision {
  const base = stop(updateOf(run));
  if (run.state !== 'acknowledged' || run.responded_at !== null || run.acknowledged_by === null) return result(base, emptyRows());
  const policy = ctx.compiled === undefined ? undefined : policyOf(ctx.compiled, run);
  const within = policy?.respondWithin === undefined ? NaN : durationMs(policy.respondWithin);
  const who = run.acknowledged_by;
  const seq = run.renotified + 1;
  const contacts = ctx.compiled?.defaultContacts.get(who) ?? [];
  const rows = notifyTargets(run.request_id, 'renotify', seq, [{ id: who, via: 'acknowledged without response', contacts }], at, { step: run.step, ladderWaitMs: null, digest: false });
  const again = seq < ctx.settings.renotifyMax && Number.isFinite(within);
  return result({ ...base, renotified: seq, ...(again ? { due_at: new Date(at.getTime() + within), due_kind: 'renotify' as const } : {}) }, rows);
}
