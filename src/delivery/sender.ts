// The outbox sender: claims due outbox rows (FOR UPDATE SKIP LOCKED, with a lease so a sender that
// dies leaves its rows due again), sends each on its channel after the claim has committed, and
// records the outcome with its receipts: delivered, a retry with backoff and jitter, a dead letter
// (visible, replayable), or skipped (nothing to send to). A skipped or dead channel brings the
// person's next ladder rung forward: the ladder never waits on a channel that cannot reach them.
import type { Logger } from '../obs/index.js';
import type { CompiledSchedule } from '../routing/index.js';
import {
  advanceLadder, claimDueAttempts, finishAttempts, stampDelivered, stampNotifications,
  type AttemptOutcome, type ClaimedAttempt, type EventInsert, type NotificationRow, type Sql, type TransactionSql,
} from '../store/index.js';
import { retryDelayMs, type RetryPolicy } from './backoff.js';
import { event } from './dispatch.js';
import type { Clock } from './fire.js';
import type { DeliveryMetrics } from './metrics.js';
import { payloadOf } from './payload.js';
import type { PushChannel } from './push.js';
import { postWebhook, type SendResult } from './webhook.js';
import { refreshCommunications } from './write.js';
import { insertEvents } from './audit.js';

export interface SendSettings extends RetryPolicy {
  readonly webhookTimeoutMs: number;
  /** how long a claimed row stays claimed before another sender may take it */
  readonly leaseMs: number;
  /** base of the links in payloads (the provider's app fetches the content there) */
  readonly publicBaseUrl: string;
}

export interface SenderDeps {
  readonly sql: Sql;
  readonly clock: Clock;
  readonly schedule: () => Promise<CompiledSchedule | undefined>;
  readonly settings: SendSettings;
  readonly push: PushChannel | null;
  readonly random?: () => number;
  readonly fetch?: typeof fetch;
  readonly metrics?: DeliveryMetrics | undefined;
  readonly log?: Logger | undefined;
  /** sees every payload that leaves the gateway (tests scan them for PHI) */
  readonly onPayload?: (channel: string, body: string) => void;
}

/** The secret of a person's webhook contact, looked up when sending (a rotated secret applies at once; never stored elsewhere). */
const webhookSecret = (c: CompiledSchedule | undefined, practitioner: string, url: string): string | undefined =>
  c?.practitioners.get(practitioner)?.channels.find((ch) => ch.kind === 'webhook' && ch.address === url)?.secret;

async function sendOn(d: SenderDeps, a: ClaimedAttempt, compiled: CompiledSchedule | undefined): Promise<SendResult> {
  const body = JSON.stringify(payloadOf(a, d.settings.publicBaseUrl));
  if (a.channel === 'webhook') {
    const secret = webhookSecret(compiled, a.recipient, a.contact);
    if (secret === undefined) return { outcome: 'dead', status: null, code: 'ERR_WEBHOOK_CONTACT_REMOVED' };
    d.onPayload?.('webhook', body);
    return postWebhook({ url: a.contact, secret, id: a.notification_id ?? a.digest_id!, body, at: new Date(d.clock()), timeoutMs: d.settings.webhookTimeoutMs }, d.fetch);
  }
  if (a.channel === 'push') {
    if (d.push === null) return { outcome: 'skipped', code: 'ERR_PUSH_DISABLED' };
    d.onPayload?.('push', body);
    return d.push.send(a.recipient, body, a.priority !== null && a.priority !== 'routine');
  }
  return { outcome: 'skipped', code: 'ERR_NO_TRANSPORT' };
}

/** The outcome to store: a retry past the last attempt is a dead letter. */
export function outcomeOf(r: SendResult, attempts: number, p: RetryPolicy, now: number, random: () => number): AttemptOutcome & { kind: 'delivered' | 'retry' | 'dead' | 'skipped' } {
  const at = new Date(now);
  switch (r.outcome) {
    case 'delivered':
      return { kind: 'delivered', state: 'delivered', due_at: null, last_status: r.status, last_error: null, sent_at: at, delivered_at: at };
    case 'skipped':
      return { kind: 'skipped', state: 'skipped', due_at: null, last_status: null, last_error: r.code, sent_at: null, delivered_at: null };
    case 'dead':
      return { kind: 'dead', state: 'dead', due_at: null, last_status: r.status, last_error: r.code, sent_at: at, delivered_at: null };
    case 'retry':
      if (attempts >= p.maxAttempts) return { kind: 'dead', state: 'dead', due_at: null, last_status: r.status, last_error: `${r.code} (after ${attempts} attempts)`, sent_at: at, delivered_at: null };
      return { kind: 'retry', state: 'scheduled', due_at: new Date(now + retryDelayMs(p, attempts, random, r.retryAfterMs)), last_status: r.status, last_error: r.code, sent_at: at, delivered_at: null };
  }
}

/** The requests an outbox row speaks for: its notification's, or every message in its digest. */
const requestsOf = (a: ClaimedAttempt): string[] => (a.digest_id !== null ? (a.digest_request_ids ?? []) : a.request_id === null ? [] : [a.request_id]);

type Outcome = ReturnType<typeof outcomeOf>;
interface Finished { readonly a: ClaimedAttempt; readonly o: Outcome; readonly at: Date }

/**
 * Records the outcomes of sends that finished together, in one transaction: outbox rows, receipts
 * on the notifications, their Communications, the timeline. Rows cancelled while being sent stay
 * cancelled and record nothing.
 */
async function recordAll(tx: TransactionSql, items: readonly Finished[]): Promise<void> {
  const done = new Set(await finishAttempts(tx, items.map(({ a, o }) => ({ id: a.id, ...o }))));
  const live = items.filter((x) => done.has(x.a.id));
  const events: EventInsert[] = [];
  const delivered: NotificationRow[] = [];
  for (const { a, o, at } of live) {
    const step = a.kind === 'step' ? a.seq : a.run_step;
    const status = o.last_status === null ? '' : `HTTP ${o.last_status}`;
    const mk = (kind: string, reason: string) => requestsOf(a).forEach((r) => events.push(event(r, at, kind, { step, recipient: a.recipient, channel: a.channel, notification_id: a.notification_id, attempt_id: a.id, reason })));
    if (o.kind === 'delivered') {
      mk('delivered', `${a.digest_id ? `digest ${a.digest_id}, ` : ''}${status}, attempt ${a.attempts}`);
    } else if (o.kind === 'retry') {
      mk('retry_scheduled', `${o.last_error ?? ''}${status ? ` (${status})` : ''}, attempt ${a.attempts}; next at ${o.due_at!.toISOString()}`);
    } else {
      mk(o.kind === 'dead' ? 'dead_letter' : 'attempt_skipped', `${o.last_error ?? ''}${status ? ` (${status})` : ''}, attempt ${a.attempts}`);
      if (a.notification_id !== null) await advanceLadder(tx, a.notification_id, at);
    }
    if (o.kind === 'delivered' && a.digest_id !== null) {
      for (const r of requestsOf(a)) delivered.push(...(await stampNotifications(tx, 'delivered_at', at, { requestId: r, recipient: a.recipient })));
    }
  }
  const viaNotification = live.filter((x) => x.o.kind === 'delivered' && x.a.notification_id !== null);
  if (viaNotification.length > 0) delivered.push(...(await stampDelivered(tx, viaNotification.map((x) => ({ id: x.a.notification_id!, at: x.at })))));
  await refreshCommunications(tx, delivered, items[0]?.at ?? new Date());
  await insertEvents(tx, events);
}

/** Per sender: outcomes wait here while a record transaction runs, and go together in the next one. */
class Recorder {
  private queue: { item: Finished; done: () => void; fail: (e: unknown) => void }[] = [];
  private running = false;

  constructor(private readonly sql: Sql) {}

  record(item: Finished): Promise<void> {
    return new Promise((done, fail) => {
      this.queue.push({ item, done, fail });
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    if (this.running) return;
    this.running = true;
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, RECORD_BATCH_MAX);
      try {
        await this.sql.begin((tx) => recordAll(tx, batch.map((b) => b.item)));
        batch.forEach((b) => b.done());
      } catch (e) {
        batch.forEach((b) => b.fail(e));
      }
    }
    this.running = false;
  }
}

/** Outcomes recorded in one transaction, at most. */
const RECORD_BATCH_MAX = 200;
const recorders = new WeakMap<SenderDeps, Recorder>();
const recorderOf = (d: SenderDeps): Recorder => {
  let r = recorders.get(d);
  if (r === undefined) recorders.set(d, (r = new Recorder(d.sql)));
  return r;
};

/** Sends one claimed outbox row and records the outcome; never throws (a failure to record leaves the row to its lease). */
export async function sendClaimed(d: SenderDeps, a: ClaimedAttempt, compiled: CompiledSchedule | undefined): Promise<void> {
  try {
    await sendOne(d, a, compiled);
  } catch (e) {
    d.log?.error('delivery_record_failed', { attemptId: a.id, errorCode: (e as { code?: string }).code });
  }
}

async function sendOne(d: SenderDeps, a: ClaimedAttempt, compiled: CompiledSchedule | undefined): Promise<void> {
  let r: SendResult;
  try {
    r = await sendOn(d, a, compiled);
  } catch (e) {
    r = { outcome: 'retry', status: null, code: 'ERR_SEND_INTERNAL' };
    d.log?.error('delivery_send_failed', { attemptId: a.id, channel: a.channel, errorName: (e as Error).name });
  }
  const now = d.clock();
  const o = outcomeOf(r, a.attempts, d.settings, now, d.random ?? Math.random);
  // a store failure here leaves the row `sending` until its lease ends: it is then sent again with
  // the same webhook-id, which receivers deduplicate (at-least-once at the network boundary)
  await recorderOf(d).record({ a, o, at: new Date(now) });
  d.metrics?.attempts.inc({ channel: a.channel, outcome: o.kind });
  if (o.kind === 'dead') d.log?.warn('delivery_dead_letter', { attemptId: a.id, channel: a.channel, code: o.last_error?.split(' ')[0] });
}

/** Claims up to `limit` due outbox rows and sends them concurrently; returns how many were claimed. */
export async function sendDueAttempts(d: SenderDeps, limit: number): Promise<number> {
  const now = d.clock();
  const claimed = await claimDueAttempts(d.sql, new Date(now), limit, d.settings.leaseMs);
  if (claimed.length === 0) return 0;
  const compiled = await d.schedule();
  await Promise.all(claimed.map((a) => sendClaimed(d, a, compiled)));
  return claimed.length;
}
