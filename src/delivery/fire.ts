// Firing due escalation timers, exactly once: due runs are claimed with FOR UPDATE SKIP LOCKED by
// any gateway process, decided (decide.ts) and written in the same transaction that moves the run's
// timer — a crash before the commit leaves the timer due (redone), after it finds it moved (done).
import type { Logger } from '../obs/index.js';
import type { CompiledSchedule } from '../routing/index.js';
import {
  cancelPendingAttempts, claimDueRuns, claimFreshAttempts, insertAttempts, insertEvents, updateRuns, upsertDigest,
  type AttemptInsert, type ClaimedAttempt, type DueClaim, type DueRun, type RunRow, type Sql, type TransactionSql,
} from '../store/index.js';
import type { RequestHead } from './communication.js';
import { decideRun, type Decision, type DeliverySettings } from './decide.js';
import { emptyRows, event, mergeRows, SENDABLE, type Target } from './dispatch.js';
import { digestId } from './ids.js';
import type { DeliveryMetrics } from './metrics.js';
import { writeRows } from './write.js';
import { auditedBegin } from '../audit/index.js';

export type Clock = () => number;

export interface FireDeps {
  readonly sql: Sql;
  readonly clock: Clock;
  readonly schedule: () => Promise<CompiledSchedule | undefined>;
  readonly settings: DeliverySettings;
  readonly metrics?: DeliveryMetrics | undefined;
  readonly log?: Logger | undefined;
}

/** Arbitrary but fixed: one process at a time fires digests, so a person gets one digest per start of day. */
const DIGEST_LOCK = 7_343_290;
/** Held routine runs fired in one digest round, at most (the rest follow in the next round, moments later). */
const DIGEST_ROUND_MAX = 10_000;

export interface FireResult {
  readonly fired: number;
  /** fire time minus due time of each timer, ms */
  readonly lateness: readonly number[];
  /** outbox rows the firing transaction claimed for sending (see `fireDueRuns`' `handoff`) */
  readonly claimed: readonly ClaimedAttempt[];
}

/** Sends the caller starts itself once the firing transaction commits: at most `limit`, leased for `leaseMs`. */
export interface Handoff {
  readonly limit: number;
  readonly leaseMs: number;
}

async function decideAll(d: FireDeps, runs: readonly DueRun[], now: number): Promise<{ decisions: Decision[]; heads: Map<string, RequestHead> }> {
  const compiled = await d.schedule();
  // targets are resolved once per (role, policy, direct recipient) for the batch: all share `now`
  const chains = new Map();
  const decisions = runs.map((run) => decideRun(run, { compiled, now, head: run.head ?? undefined, settings: d.settings, chains }));
  const heads = new Map(runs.map((r) => [r.request_id, { priority: r.priority, subject: r.head?.subject ?? null }]));
  return { decisions, heads };
}

async function writeDecisions(tx: TransactionSql, d: FireDeps, decisions: readonly Decision[], heads: ReadonlyMap<string, RequestHead>, now: Date): Promise<void> {
  const rows = decisions.reduce((acc, x) => mergeRows(acc, x.rows), emptyRows());
  // pipelined (write.ts): the runs' new timers do not depend on the rows written
  await Promise.all([writeRows(tx, rows, heads, now), updateRuns(tx, decisions.map((x) => x.update), now)]);
  for (const x of decisions) {
    if (!x.cancelPending) continue;
    const cancelled = await cancelPendingAttempts(tx, x.update.request_id);
    await insertEvents(tx, cancelled.map((a) => event(x.update.request_id, now, 'cancelled', { recipient: a.recipient, channel: a.channel, notification_id: a.notification_id, attempt_id: a.id, reason: x.update.close_reason ?? 'closed' })));
  }
}

function account(d: FireDeps, runs: readonly RunRow[], decisions: readonly Decision[], now: number): FireResult {
  const lateness = runs.map((r) => now - (r.due_at?.getTime() ?? now));
  runs.forEach((r, i) => d.metrics?.lateness.observe({ kind: r.due_kind ?? 'step' }, Math.max(0, lateness[i]!) / 1000));
  for (const x of decisions) {
    for (const a of x.alerts) {
      d.metrics?.alerts.inc({ reason: a });
      d.log?.warn('delivery_alert', { code: a, state: x.update.state, step: x.update.step });
    }
    if (x.rows.notifications.some((n) => n.kind === 'step')) d.metrics?.steps.inc();
  }
  return { fired: runs.length, lateness, claimed: [] };
}

/** What one firing wrote in its transaction: accounted (account) once that transaction commits. */
export interface Fired {
  readonly now: number;
  readonly runs: readonly RunRow[];
  readonly decisions: readonly Decision[];
  readonly claimed: readonly ClaimedAttempt[];
}

/**
 * Fires up to `limit` due runs (`claim`: which) in the caller's transaction `tx`; with `handoff`, also
 * claims the first sends of what it fired (the pages due now), for the caller to start once `tx`
 * commits. Null when nothing was due. Exactly once as everywhere: the runs are claimed FOR UPDATE
 * SKIP LOCKED and their timers move in `tx`, so a rollback leaves them due.
 */
export async function fireIn(tx: TransactionSql, d: FireDeps, limit: number, handoff?: Handoff, claim: DueClaim = { kind: 'timers', leaveFreshUrgentMs: 0 }): Promise<Fired | null> {
  const now = d.clock();
  const runs = await claimDueRuns(tx, new Date(now), claim, limit);
  if (runs.length === 0) return null;
  const { decisions, heads } = await decideAll(d, runs, now);
  await writeDecisions(tx, d, decisions, heads, new Date(now));
  const paged = decisions.filter((x) => x.rows.attempts.some((a) => a.due_at !== null && a.due_at.getTime() <= now)).map((x) => x.update.request_id);
  const claimed = handoff === undefined ? [] : await claimFreshAttempts(tx, paged, new Date(now), handoff.limit, handoff.leaseMs);
  return { now, runs, decisions, claimed };
}

/** The metrics and alerts of a committed firing, and its claimed sends. */
export function accountFired(d: FireDeps, f: Fired | null): FireResult {
  return f === null ? { fired: 0, lateness: [], claimed: [] } : { ...account(d, f.runs, f.decisions, f.now), claimed: f.claimed };
}

/**
 * Fires up to `limit` due step and re-notify timers in one transaction (`claim`: which; by default
 * every due one). With `handoff`, the same transaction claims the first sends of what it fired (the
 * pages due now), returned in `claimed` for the caller to start after the commit, without waiting
 * for a look at the outbox.
 */
export async function fireDueRuns(d: FireDeps, limit: number, handoff?: Handoff, claim: DueClaim = { kind: 'timers', leaveFreshUrgentMs: 0 }): Promise<FireResult> {
  return accountFired(d, await auditedBegin(d.sql, (tx) => fireIn(tx, d, limit, handoff, claim)));
}

/**
 * Fires the routine runs held for a start of day that has come: each one's first step (inbox
 * notifications per message), and per person one digest — one push and one webhook per contact,
 * listing the messages — instead of one per message. One process at a time (advisory lock).
 */
export async function fireDueDigests(d: FireDeps): Promise<FireResult> {
  const now = d.clock();
  const at = new Date(now);
  const done = await auditedBegin(d.sql, async (tx) => {
    const [lock] = await tx<{ ok: boolean }[]>`SELECT pg_try_advisory_xact_lock(${DIGEST_LOCK}) AS ok`;
    if (!lock?.ok) return null;
    const runs = await claimDueRuns(tx, at, { kind: 'digests' }, DIGEST_ROUND_MAX);
    if (runs.length === 0) return null;
    const { decisions, heads } = await decideAll(d, runs, now);
    await writeDecisions(tx, d, decisions, heads, at);
    const byPerson = new Map<string, { target: Target; requests: string[] }>();
    decisions.forEach((x) => {
      for (const t of x.digestTargets) {
        const entry = byPerson.get(t.id) ?? { target: t, requests: [] };
        entry.requests.push(x.update.request_id);
        byPerson.set(t.id, entry);
      }
    });
    for (const [person, { target, requests }] of byPerson) {
      const id = await upsertDigest(tx, { id: digestId(person, now), recipient: person, digest_at: at, request_ids: requests, created_at: at });
      const seen = new Set<string>();
      const attempts: AttemptInsert[] = [];
      for (const c of target.contacts) {
        if (!SENDABLE.has(c.kind)) continue;
        const contact = c.kind === 'webhook' ? c.address : '';
        if (seen.has(`${c.kind}\u001f${contact}`)) continue;
        seen.add(`${c.kind}\u001f${contact}`);
        attempts.push({ notification_id: null, digest_id: id, request_id: null, recipient: person, channel: c.kind, contact, state: 'scheduled', due_at: at, created_at: at, sent_at: null, last_error: null });
      }
      await insertAttempts(tx, attempts);
      await insertEvents(tx, requests.map((r) => event(r, at, 'digest', { step: 1, recipient: person, reason: `routine digest ${id}: ${requests.length} message(s), channels ${['inbox', ...attempts.map((a) => a.channel)].join(', ')}` })));
    }
    return { runs, decisions };
  });
  return done === null ? { fired: 0, lateness: [], claimed: [] } : account(d, done.runs, done.decisions, now);
}
