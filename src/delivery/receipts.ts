// Receipts and a provider's actions, each one transaction with the run locked (so it serialises
// with a step being fired): delivered (the app fetched it), read, acknowledged (stops the run; the
// CommunicationRequest goes completed), responded (a reply: a Communication inResponseTo),
// forwarded, resolved (closes the run). Each is stamped once, written to the timeline, rewrites the
// notifications' Communications and tells the providers' apps (live events).
import type { CommunicationRequest } from 'fhir/r4.js';
import { saveResources } from '../fhir/index.js';
import { badRequest, conflict } from '../outcome/index.js';
import type { CompiledSchedule } from '../routing/index.js';
import { durationMs } from '../routing/index.js';
import {
  cancelPendingAttempts, listNotifications, lockRun, markInboxDelivered, maxNotificationSeq, notifyLiveEvents, readRequestHeads, readResource,
  stampNotifications, updateRuns, type NotificationRow, type ReceiptField, type RunRow, type RunUpdate, type Sql, type TransactionSql,
} from '../store/index.js';
import { policyOf } from './chain.js';
import { toReply, type RequestHead } from './communication.js';
import { event, notifyTargets } from './dispatch.js';
import { replyId } from './ids.js';
import { refreshCommunications, writeRows } from './write.js';
import { insertEvents } from './audit.js';
import { auditedBegin } from '../audit/index.js';

const OPEN = new Set(['held', 'active', 'acknowledged', 'exhausted']);

export interface ActionContext {
  readonly sql: Sql;
  readonly now: Date;
  readonly compiled: CompiledSchedule | undefined;
  /** the acting practitioner (schedule id) */
  readonly practitioner: string;
}

const updateOf = (run: RunRow): RunUpdate => ({
  request_id: run.request_id, state: run.state, step: run.step, due_at: run.due_at, due_kind: run.due_kind, renotified: run.renotified,
  acknowledged_at: run.acknowledged_at, acknowledged_by: run.acknowledged_by, responded_at: run.responded_at,
  closed_at: run.closed_at, close_reason: run.close_reason,
});

async function locked<T>(ctx: ActionContext, requestId: string, work: (tx: TransactionSql, run: RunRow) => Promise<T>): Promise<T> {
  return auditedBegin(ctx.sql, async (tx) => {
    const run = await lockRun(tx, requestId);
    // the HTTP layer checked visibility first; a run vanishing in between is still a 404 there
    if (run === undefined) throw conflict('the message has no delivery run');
    return work(tx, run);
  }) as Promise<T>;
}

/** Stamps a receipt on the acting practitioner's notifications of the request and rewrites their Communications. */
async function stamp(tx: TransactionSql, ctx: ActionContext, requestId: string, field: ReceiptField): Promise<NotificationRow[]> {
  const changed = await stampNotifications(tx, field, ctx.now, { requestId, recipient: ctx.practitioner });
  await refreshCommunications(tx, changed, ctx.now);
  return changed;
}

/** Tells every app that saw this message (everyone notified, and the actor) what happened. */
async function tellApps(tx: TransactionSql, requestId: string, actor: string, kind: string): Promise<void> {
  const people = new Set([actor, ...(await listNotifications(tx, requestId)).map((n) => n.recipient)]);
  await notifyLiveEvents(tx, [...people].map((p) => ({ p, m: requestId, k: kind })));
}

/** The CommunicationRequest goes `completed` (FHIR R4 request-status) when acknowledged or resolved. */
async function completeRequest(tx: TransactionSql, requestId: string, now: Date): Promise<void> {
  const stored = await readResource(tx, 'CommunicationRequest', requestId);
  const cr = stored?.resource as CommunicationRequest | undefined;
  if (cr === undefined || cr.status === 'completed' || cr.status === 'revoked' || cr.status === 'entered-in-error') return;
  const completed: CommunicationRequest = { ...cr, status: 'completed' };
  await saveResources(tx, [completed], { now });
}

async function cancelPending(tx: TransactionSql, run: RunRow, now: Date, why: string): Promise<void> {
  const cancelled = await cancelPendingAttempts(tx, run.request_id);
  await insertEvents(tx, cancelled.map((a) => event(run.request_id, now, 'cancelled', { recipient: a.recipient, channel: a.channel, notification_id: a.notification_id, attempt_id: a.id, reason: why })));
}

/** The app fetched the message: its inbox channel is delivered (a receipt, once). */
export async function markFetched(ctx: ActionContext, requestId: string): Promise<void> {
  await ctx.sql.begin(async (tx) => {
    const mine = (await listNotifications(tx, requestId)).filter((n) => n.recipient === ctx.practitioner);
    const viaInbox = await markInboxDelivered(tx, mine.map((n) => n.id), ctx.now);
    if (viaInbox.length === 0) return;
    const changed = await stampNotifications(tx, 'delivered_at', ctx.now, { requestId, recipient: ctx.practitioner });
    await refreshCommunications(tx, changed, ctx.now);
    if (changed.length) await insertEvents(tx, [event(requestId, ctx.now, 'delivered', { recipient: ctx.practitioner, channel: 'inbox', reason: 'fetched by the app' })]);
  });
}

/** A live update reached the practitioner's app: the inbox channel of those notifications is delivered. */
export async function markLiveDelivered(sql: Sql, practitioner: string, notificationIds: readonly string[], now: Date): Promise<void> {
  if (notificationIds.length === 0) return;
  await auditedBegin(sql, async (tx) => {
    const done = await markInboxDelivered(tx, notificationIds, now);
    for (const id of done) {
      const changed = await stampNotifications(tx, 'delivered_at', now, { notificationId: id });
      await refreshCommunications(tx, changed, now);
      for (const n of changed) await insertEvents(tx, [event(n.request_id, now, 'delivered', { recipient: practitioner, channel: 'inbox', notification_id: n.id, reason: 'live update reached the app' })]);
    }
  });
}

export async function markRead(ctx: ActionContext, requestId: string): Promise<void> {
  await locked(ctx, requestId, async (tx) => {
    const changed = await stamp(tx, ctx, requestId, 'read_at');
    await insertEvents(tx, [event(requestId, ctx.now, 'read', { recipient: ctx.practitioner, reason: changed.length ? null : 'read again, or read without a notification' })]);
    await tellApps(tx, requestId, ctx.practitioner, 'read');
  });
}

/** Acknowledgement stops the run; with the policy's `respondWithin`, a re-notification follows unless a response does. */
export async function acknowledge(ctx: ActionContext, requestId: string): Promise<{ already: boolean }> {
  return locked(ctx, requestId, async (tx, run) => {
    if (run.acknowledged_at !== null) return { already: true };
    await stamp(tx, ctx, requestId, 'acknowledged_at');
    const policy = ctx.compiled === undefined ? undefined : policyOf(ctx.compiled, run);
    const within = policy?.respondWithin === undefined ? NaN : durationMs(policy.respondWithin);
    const open = OPEN.has(run.state);
    const update: RunUpdate = {
      ...updateOf(run), acknowledged_at: ctx.now, acknowledged_by: ctx.practitioner,
      state: open ? 'acknowledged' : run.state,
      ...(open && Number.isFinite(within) ? { due_at: new Date(ctx.now.getTime() + within), due_kind: 'renotify' as const } : { due_at: null, due_kind: null }),
    };
    await updateRuns(tx, [update], ctx.now);
    await cancelPending(tx, run, ctx.now, `acknowledged by ${ctx.practitioner}`);
    await completeRequest(tx, requestId, ctx.now);
    await insertEvents(tx, [event(requestId, ctx.now, 'acknowledged', { step: run.step, recipient: ctx.practitioner, reason: update.due_at ? `a response is expected by ${update.due_at.toISOString()}` : null })]);
    await tellApps(tx, requestId, ctx.practitioner, 'acknowledged');
    return { already: false };
  });
}

/** A reply: acknowledges (when not yet), is stored as a Communication inResponseTo, and closes the run. */
export async function respond(ctx: ActionContext, requestId: string, text: string): Promise<{ communicationId: string }> {
  return locked(ctx, requestId, async (tx, run) => {
    const mine = (await listNotifications(tx, requestId)).filter((n) => n.recipient === ctx.practitioner);
    await stamp(tx, ctx, requestId, 'acknowledged_at');
    await stamp(tx, ctx, requestId, 'responded_at');
    const stored = await readRequestHeads(tx, [requestId]);
    const h = stored.get(requestId);
    const head: RequestHead = { priority: h?.priority ?? run.priority, subject: h?.subject ?? null };
    const cr = (await readResource(tx, 'CommunicationRequest', requestId))?.resource as CommunicationRequest | undefined;
    const id = replyId(requestId, ctx.practitioner, ctx.now.getTime());
    await saveResources(tx, [toReply({ id, requestId, inResponseTo: mine.at(-1)?.id ?? null, from: ctx.practitioner, text, at: ctx.now, head, ...(cr?.requester ? { requester: cr.requester } : {}) })], { now: ctx.now });
    const open = OPEN.has(run.state);
    await updateRuns(tx, [{
      ...updateOf(run), due_at: null, due_kind: null, responded_at: ctx.now,
      acknowledged_at: run.acknowledged_at ?? ctx.now, acknowledged_by: run.acknowledged_by ?? ctx.practitioner,
      ...(open ? { state: 'completed' as const, closed_at: ctx.now, close_reason: `responded by ${ctx.practitioner}` } : {}),
    }], ctx.now);
    await cancelPending(tx, run, ctx.now, `responded by ${ctx.practitioner}`);
    await completeRequest(tx, requestId, ctx.now);
    await insertEvents(tx, [event(requestId, ctx.now, 'responded', { step: run.step, recipient: ctx.practitioner, reason: `reply Communication/${id}` })]);
    await tellApps(tx, requestId, ctx.practitioner, 'responded');
    return { communicationId: id };
  });
}

/** Hands the message to another practitioner: notified now on their channels; the run keeps escalating until acknowledged. */
export async function forward(ctx: ActionContext, requestId: string, to: string): Promise<{ notificationId: string }> {
  const target = ctx.compiled?.practitioners.get(to);
  if (target === undefined) throw badRequest('practitioner: not a practitioner in the on-call schedule', { code: 'ERR_DELIVERY_UNKNOWN_PRACTITIONER' });
  if (to === ctx.practitioner) throw badRequest('practitioner: cannot forward to yourself', { code: 'ERR_DELIVERY_FORWARD_SELF' });
  return locked(ctx, requestId, async (tx, run) => {
    if (!OPEN.has(run.state)) throw conflict(`the message is ${run.state}`, { code: 'ERR_DELIVERY_CLOSED' });
    const seq = (await maxNotificationSeq(tx, requestId, 'forward')) + 1;
    const rows = notifyTargets(requestId, 'forward', seq, [{ id: to, via: `forwarded by ${ctx.practitioner}`, contacts: ctx.compiled?.defaultContacts.get(to) ?? [] }], ctx.now, { step: run.step, ladderWaitMs: null, digest: false });
    const stored = await readRequestHeads(tx, [requestId]);
    await writeRows(tx, rows, new Map([[requestId, { priority: run.priority, subject: stored.get(requestId)?.subject ?? null }]]), ctx.now);
    return { notificationId: rows.notifications[0]!.id };
  });
}

/** Resolved: the run is closed, nothing more is sent, the CommunicationRequest is completed. */
export async function resolve(ctx: ActionContext, requestId: string): Promise<void> {
  await locked(ctx, requestId, async (tx, run) => {
    if (!OPEN.has(run.state)) return;
    await updateRuns(tx, [{ ...updateOf(run), state: 'completed', due_at: null, due_kind: null, closed_at: ctx.now, close_reason: `resolved by ${ctx.practitioner}` }], ctx.now);
    await cancelPending(tx, run, ctx.now, `resolved by ${ctx.practitioner}`);
    await completeRequest(tx, requestId, ctx.now);
    await insertEvents(tx, [event(requestId, ctx.now, 'resolved', { step: run.step, recipient: ctx.practitioner })]);
    await tellApps(tx, requestId, ctx.practitioner, 'resolved');
  });
}
