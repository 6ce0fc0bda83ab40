// What firing a notification writes (pure): the notification row, its outbox rows — the inbox at
// once, each push/webhook contact due now or on its ladder rung — and the timeline entries.
// Every row is keyed by (request, kind, seq, recipient[, channel, contact]), so writing the same
// effect twice is refused by the store's unique keys.
import type { AttemptInsert, EventInsert, NotificationInsert, NotificationKind } from '../store/index.js';
import type { Contact } from '../routing/index.js';
import { notificationId } from './ids.js';

/** Channels a gateway sends itself; other contact kinds (sms, voice, pager, email) reach people through a webhook gateway. */
export const SENDABLE = new Set(['push', 'webhook']);

export interface Rows {
  notifications: NotificationInsert[];
  attempts: AttemptInsert[];
  events: EventInsert[];
}

export const emptyRows = (): Rows => ({ notifications: [], attempts: [], events: [] });

export const mergeRows = (into: Rows, more: Rows): Rows => {
  into.notifications.push(...more.notifications);
  into.attempts.push(...more.attempts);
  into.events.push(...more.events);
  return into;
};

export interface Target {
  readonly id: string;
  readonly via: string;
  readonly contacts: readonly Contact[];
}

export const event = (requestId: string, at: Date, kind: string, f: Partial<Omit<EventInsert, 'request_id' | 'at' | 'kind'>> = {}): EventInsert => ({
  request_id: requestId, at, kind,
  step: f.step ?? null, recipient: f.recipient ?? null, channel: f.channel ?? null,
  notification_id: f.notification_id ?? null, attempt_id: f.attempt_id ?? null, reason: f.reason ?? null,
});

/** A contact's outbox key: push goes to every subscription of the person, a webhook to its URL. */
const contactKey = (c: Contact): { channel: string; contact: string } => ({ channel: c.kind, contact: c.kind === 'webhook' ? c.address : '' });

export interface NotifyOptions {
  /** the run's step, for the timeline (null: not an escalation step) */
  readonly step: number | null;
  /** per-person ladder: contact k is due k × this after the first (null: all at once) */
  readonly ladderWaitMs: number | null;
  /** routine digest: push and webhook go out once per person for the whole digest, not per message */
  readonly digest: boolean;
}

export function notifyTargets(requestId: string, kind: NotificationKind, seq: number, targets: readonly Target[], at: Date, o: NotifyOptions): Rows {
  const rows = emptyRows();
  for (const t of targets) {
    const id = notificationId(requestId, kind, seq, t.id);
    rows.notifications.push({ id, request_id: requestId, kind, seq, recipient: t.id, via: t.via, created_at: at, sent_at: at });
    const base = { notification_id: id, digest_id: null, request_id: requestId, recipient: t.id, created_at: at };
    // the provider inbox always: the message is in the app's list and pushed over live updates at once
    rows.attempts.push({ ...base, channel: 'inbox', contact: '', state: 'sent', due_at: null, sent_at: at, last_error: null });
    const seen = new Set<string>(['inbox\u001f']);
    let rung = 0;
    const channels: string[] = ['inbox'];
    for (const c of t.contacts) {
      const k = contactKey(c);
      const key = `${k.channel}\u001f${k.contact}`;
      if (seen.has(key)) continue;
      seen.add(key);
      if (SENDABLE.has(c.kind)) {
        if (o.digest) continue;
        const due = new Date(at.getTime() + rung * (o.ladderWaitMs ?? 0));
        rung++;
        rows.attempts.push({ ...base, ...k, state: 'scheduled', due_at: due, sent_at: null, last_error: null });
        channels.push(k.channel);
      } else {
        rows.attempts.push({ ...base, ...k, state: 'skipped', due_at: null, sent_at: null, last_error: 'ERR_NO_TRANSPORT' });
        rows.events.push(event(requestId, at, 'attempt_skipped', {
          step: o.step, recipient: t.id, channel: c.kind, notification_id: id,
          reason: `no transport for ${c.kind} contacts: reach ${c.kind} through a webhook contact to its gateway`,
        }));
      }
    }
    rows.events.push(event(requestId, at, kind === 'step' ? 'notified' : kind === 'renotify' ? 'renotified' : 'forwarded', {
      step: o.step, recipient: t.id, notification_id: id,
      reason: `${t.via}; channels ${channels.join(', ')}${o.ladderWaitMs !== null && rung > 1 ? `, laddered ${o.ladderWaitMs / 1000} s apart` : ''}${o.digest ? ' (push and webhooks in the digest)' : ''}`,
    }));
  }
  return rows;
}
