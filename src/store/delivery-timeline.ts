// The SQL of a message's delivery timeline (delivery_event): every escalation step, attempt,
// receipt and decision, with its reason as a code or a sentence of ids — never message content.
import type postgres from 'postgres';
import type { Sql, TransactionSql } from './db.js';

type Queryable = Sql | TransactionSql;

export interface EventInsert {
  request_id: string;
  at: Date;
  kind: string;
  step: number | null;
  recipient: string | null;
  channel: string | null;
  notification_id: string | null;
  attempt_id: string | null;
  reason: string | null;
}

export interface EventRow extends EventInsert {
  id: string;
}

/**
 * The statement that inserts `rows` (a fragment: a caller may add `WHERE` on `e`, the rows as a
 * recordset, or use it inside a CTE, as insertRuns does).
 */
export function eventsInsert(tx: TransactionSql, rows: readonly EventInsert[]): postgres.PendingQuery<postgres.Row[]> {
  return tx`
    INSERT INTO delivery_event (request_id, at, kind, step, recipient, channel, notification_id, attempt_id, reason)
    SELECT e.request_id, e.at, e.kind, e.step, e.recipient, e.channel, e.notification_id, e.attempt_id::bigint, e.reason
    FROM jsonb_to_recordset(${tx.json(rows as unknown as postgres.JSONValue)}) AS e(
      request_id text, at timestamptz, kind text, step integer, recipient text, channel text, notification_id text, attempt_id text, reason text)`;
}

export async function insertEvents(tx: TransactionSql, rows: readonly EventInsert[]): Promise<void> {
  if (rows.length === 0) return;
  await eventsInsert(tx, rows);
}

/** A request's timeline in the order it was written. */
export function listEvents(sql: Queryable, requestId: string, limit = 1000): Promise<EventRow[]> {
  return sql<EventRow[]>`
    SELECT id::text, request_id, at, kind, step, recipient, channel, notification_id, attempt_id::text, reason
    FROM delivery_event WHERE request_id = ${requestId} ORDER BY delivery_event.id LIMIT ${limit}`;
}

/** Live updates for providers' apps cross replicas here: ids and kinds only, never content. */
export const DELIVERY_EVENTS_CHANNEL = 'switchboard_delivery_events';

export interface LiveEvent {
  /** practitioner whose app should hear it */
  p: string;
  /** message (CommunicationRequest) id */
  m: string;
  /** notification id, when there is one */
  n?: string;
  /** what happened: notified, read, acknowledged, responded, resolved, forwarded, expired */
  k: string;
}

/** NOTIFYs live events (delivered when the caller's transaction commits; one NOTIFY each, well under the 8000-byte limit). */
export async function notifyLiveEvents(tx: TransactionSql, events: readonly LiveEvent[]): Promise<void> {
  if (events.length === 0) return;
  await tx`SELECT pg_notify(${DELIVERY_EVENTS_CHANNEL}, x) FROM unnest(${events.map((e) => JSON.stringify(e))}::text[]) AS x`;
}

/** Subscribes to live events; `onListen` runs on every (re)connect, when events may have been missed. */
export async function listenLiveEvents(sql: Sql, onEvent: (e: LiveEvent) => void, onListen: () => void): Promise<{ unlisten(): Promise<void> }> {
  return sql.listen(DELIVERY_EVENTS_CHANNEL, (v) => {
    try {
      const e = JSON.parse(v) as LiveEvent;
      if (typeof e.p === 'string' && typeof e.m === 'string' && typeof e.k === 'string') onEvent(e);
    } catch { /* not ours */ }
  }, onListen);
}
