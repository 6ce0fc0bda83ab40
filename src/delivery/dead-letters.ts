// Dead letters: outbox rows given up on (retries exhausted, or an answer that retrying cannot fix).
// They stay visible (GET /delivery/dead-letters, `switchboard delivery dead-letters`) until replayed;
// a replay sends the same notification again with the same webhook-id, so a receiver that did get
// it after all deduplicates it.
import { getAttempt, listDeadAttempts, replayDeadAttempt, type AttemptRow, type Sql } from '../store/index.js';
import { event } from './dispatch.js';
import { insertEvents } from './audit.js';

export interface DeadLetter {
  readonly id: string;
  readonly messageId: string | null;
  readonly notificationId: string | null;
  readonly digestId: string | null;
  readonly practitioner: string;
  readonly channel: string;
  /** the webhook URL (never its secret); '' for push */
  readonly contact: string;
  readonly attempts: number;
  readonly lastStatus: number | null;
  readonly lastError: string | null;
  readonly createdAt: string;
  readonly lastSentAt: string | null;
}

export const toDeadLetter = (a: AttemptRow): DeadLetter => ({
  id: a.id, messageId: a.request_id, notificationId: a.notification_id, digestId: a.digest_id, practitioner: a.recipient,
  channel: a.channel, contact: a.contact, attempts: a.attempts, lastStatus: a.last_status, lastError: a.last_error,
  createdAt: a.created_at.toISOString(), lastSentAt: a.sent_at?.toISOString() ?? null,
});

/** Dead letters; with `organization`, of that organisation's messages only (src/http's gate sets it). */
export async function listDeadLetters(sql: Sql, opts: { afterId?: string; limit: number; organization?: string | undefined }): Promise<DeadLetter[]> {
  return (await listDeadAttempts(sql, opts)).map(toDeadLetter);
}

export async function getDeadLetter(sql: Sql, id: string): Promise<DeadLetter | undefined> {
  const a = await getAttempt(sql, id);
  return a?.state === 'dead' ? toDeadLetter(a) : undefined;
}

/** Puts a dead letter back in the outbox, due now; undefined when there is no dead letter with that id (of `organization`, when given). */
export async function replayDeadLetter(sql: Sql, id: string, now: Date, by: string, organization?: string): Promise<DeadLetter | undefined> {
  return sql.begin(async (tx) => {
    const a = await replayDeadAttempt(tx, id, now, organization);
    if (a === undefined) return undefined;
    const requests = a.request_id !== null ? [a.request_id] : [];
    await insertEvents(tx, requests.map((r) => event(r, now, 'replayed', { recipient: a.recipient, channel: a.channel, notification_id: a.notification_id, attempt_id: a.id, reason: `dead letter replayed by ${by}` })));
    return toDeadLetter(a);
  }) as Promise<DeadLetter | undefined>;
}
