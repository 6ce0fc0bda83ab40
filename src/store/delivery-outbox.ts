// The SQL of notifications (delivery_notification), digests (delivery_digest) and the channel outbox
// (delivery_attempt): inserts keyed so each effect exists once, claims of due attempts with
// FOR UPDATE SKIP LOCKED and a lease, outcomes, cancellation, dead letters and replay.
import type postgres from 'postgres';
import type { Sql, TransactionSql } from './db.js';
import { notifyDeliveryWake } from './delivery-runs.js';
import { objectRows } from './pg-array.js';

type Queryable = Sql | TransactionSql;

export type NotificationKind = 'step' | 'renotify' | 'forward';
export type AttemptState = 'scheduled' | 'sending' | 'sent' | 'delivered' | 'dead' | 'skipped' | 'cancelled';

export interface NotificationInsert {
  id: string;
  request_id: string;
  kind: NotificationKind;
  seq: number;
  recipient: string;
  via: string;
  created_at: Date;
  sent_at: Date | null;
}

export interface NotificationRow extends NotificationInsert {
  delivered_at: Date | null;
  read_at: Date | null;
  acknowledged_at: Date | null;
  responded_at: Date | null;
}

const NOTIFICATION_COLUMNS = 'id, request_id, kind, seq, recipient, via, created_at, sent_at, delivered_at, read_at, acknowledged_at, responded_at';

/** Inserts notifications; one that exists already (same request, kind, seq, recipient) is skipped. Returns the ids inserted. */
export async function insertNotifications(tx: TransactionSql, rows: readonly NotificationInsert[]): Promise<string[]> {
  if (rows.length === 0) return [];
  const r = await tx<{ id: string }[]>`
    INSERT INTO delivery_notification (id, request_id, kind, seq, recipient, via, created_at, sent_at)
    SELECT n.id, n.request_id, n.kind, n.seq, n.recipient, n.via, n.created_at, n.sent_at
    FROM jsonb_to_recordset(${tx.json(rows as unknown as postgres.JSONValue)}) AS n(
      id text, request_id text, kind text, seq integer, recipient text, via text, created_at timestamptz, sent_at timestamptz)
    ON CONFLICT DO NOTHING RETURNING id`;
  return r.map((x) => x.id);
}

export interface DigestInsert {
  id: string;
  recipient: string;
  digest_at: Date;
  request_ids: string[];
  created_at: Date;
}

/** Inserts a digest, or adds the requests to the one of the same recipient and start of day. */
export async function upsertDigest(tx: TransactionSql, d: DigestInsert): Promise<string> {
  const [r] = await tx<{ id: string }[]>`
    INSERT INTO delivery_digest (id, recipient, digest_at, request_ids, created_at)
    VALUES (${d.id}, ${d.recipient}, ${d.digest_at}, ${d.request_ids}, ${d.created_at})
    ON CONFLICT (recipient, digest_at) DO UPDATE
      SET request_ids = ARRAY(SELECT DISTINCT unnest(delivery_digest.request_ids || EXCLUDED.request_ids))
    RETURNING id`;
  return r!.id;
}

export interface AttemptInsert {
  notification_id: string | null;
  digest_id: string | null;
  request_id: string | null;
  recipient: string;
  channel: string;
  contact: string;
  state: AttemptState;
  due_at: Date | null;
  created_at: Date;
  sent_at: Date | null;
  last_error: string | null;
}

/** Inserts outbox rows; an existing (notification or digest, channel, contact) is skipped. NOTIFYs when one is due. */
export async function insertAttempts(tx: TransactionSql, rows: readonly AttemptInsert[]): Promise<{ id: string; channel: string; notification_id: string | null; state: AttemptState }[]> {
  if (rows.length === 0) return [];
  const r = await tx<{ id: string; channel: string; notification_id: string | null; state: AttemptState }[]>`
    INSERT INTO delivery_attempt (notification_id, digest_id, request_id, recipient, channel, contact, state, due_at, created_at, sent_at, last_error)
    SELECT a.notification_id, a.digest_id, a.request_id, a.recipient, a.channel, a.contact, a.state, a.due_at, a.created_at, a.sent_at, a.last_error
    FROM jsonb_to_recordset(${tx.json(rows as unknown as postgres.JSONValue)}) AS a(
      notification_id text, digest_id text, request_id text, recipient text, channel text, contact text, state text,
      due_at timestamptz, created_at timestamptz, sent_at timestamptz, last_error text)
    ON CONFLICT DO NOTHING RETURNING id::text, channel, notification_id, state`;
  if (rows.some((a) => a.due_at !== null)) await notifyDeliveryWake(tx, 'attempt');
  return r;
}

/** A claimed outbox row with what sending it needs (ids, priority, step), never content. */
export interface ClaimedAttempt {
  id: string;
  notification_id: string | null;
  digest_id: string | null;
  request_id: string | null;
  recipient: string;
  channel: string;
  contact: string;
  attempts: number;
  /** the notification's kind and seq (step), or null for a digest */
  kind: NotificationKind | null;
  seq: number | null;
  priority: string | null;
  /** the run's current step */
  run_step: number | null;
  digest_request_ids: string[] | null;
}

/**
 * Claims the outbox rows `update` (an `UPDATE delivery_attempt a … ` without RETURNING) moves to
 * `sending`, and returns them with what their send needs, in one statement: the claim as a
 * data-modifying CTE, the joins reading what the transaction has written before it.
 */
function claimAttempts(tx: Sql | TransactionSql, update: postgres.PendingQuery<postgres.Row[]>): Promise<ClaimedAttempt[]> {
  return tx<ClaimedAttempt[]>`
    WITH a AS (${update} RETURNING a.id, a.notification_id, a.digest_id, a.request_id, a.recipient, a.channel, a.contact, a.attempts)
    SELECT a.id::text, a.notification_id, a.digest_id, a.request_id, a.recipient, a.channel, a.contact, a.attempts,
           n.kind, n.seq, r.priority, r.step AS run_step, d.request_ids AS digest_request_ids
    FROM a
    LEFT JOIN delivery_notification n ON n.id = a.notification_id
    LEFT JOIN delivery_run r ON r.request_id = n.request_id
    LEFT JOIN delivery_digest d ON d.id = a.digest_id`;
}

/**
 * Claims due outbox rows (ladder rungs, retries, and rows whose sender's lease ran out) for
 * `leaseMs`: state `sending`, the attempt counted, `due_at` moved to the lease's end so a sender
 * that dies leaves the row due again. Oldest first; rows another process holds are skipped.
 */
export async function claimDueAttempts(sql: Sql, now: Date, limit: number, leaseMs: number): Promise<ClaimedAttempt[]> {
  const leaseEnd = new Date(now.getTime() + leaseMs);
  return claimAttempts(sql, sql`
    UPDATE delivery_attempt a SET state = 'sending', attempts = a.attempts + 1, due_at = ${leaseEnd}
    FROM (SELECT id FROM delivery_attempt WHERE due_at IS NOT NULL AND due_at <= ${now} AND state IN ('scheduled', 'sending')
          ORDER BY due_at LIMIT ${limit} FOR UPDATE SKIP LOCKED) c
    WHERE a.id = c.id`);
}

/**
 * In the transaction that wrote them: claims the requests' outbox rows due at `now` and never
 * tried (the first contact of a step just fired), up to `limit`, for `leaseMs` — as
 * `claimDueAttempts` would, so the sends start when this transaction commits instead of at the
 * scheduler's next look. A process that dies before sending leaves them due at the lease's end.
 */
export async function claimFreshAttempts(tx: TransactionSql, requestIds: readonly string[], now: Date, limit: number, leaseMs: number): Promise<ClaimedAttempt[]> {
  if (requestIds.length === 0 || limit <= 0) return [];
  const leaseEnd = new Date(now.getTime() + leaseMs);
  return claimAttempts(tx, tx`
    UPDATE delivery_attempt a SET state = 'sending', attempts = a.attempts + 1, due_at = ${leaseEnd}
    FROM (SELECT id FROM delivery_attempt
          WHERE request_id = ANY(${[...new Set(requestIds)]}) AND due_at IS NOT NULL AND due_at <= ${now} AND state = 'scheduled' AND attempts = 0
          ORDER BY due_at, id LIMIT ${limit} FOR UPDATE SKIP LOCKED) c
    WHERE a.id = c.id`);
}

export interface AttemptOutcome {
  state: AttemptState;
  due_at: Date | null;
  last_status: number | null;
  last_error: string | null;
  sent_at: Date | null;
  delivered_at: Date | null;
}

/**
 * Records sends' outcomes (one statement); only rows still being sent change (a cancelled one
 * stays cancelled). Returns the ids that changed. NOTIFYs when a retry was scheduled.
 */
export async function finishAttempts(tx: TransactionSql, rows: readonly (AttemptOutcome & { id: string })[]): Promise<string[]> {
  if (rows.length === 0) return [];
  // one array per column (objectRows): the planner knows a handful of rows comes in and joins them on
  // the primary key; a recordset of unknown size (100 rows, as it assumes) joins by scanning a small table whole
  const u = objectRows(tx, 'u', rows, {
    id: 'bigint', state: 'text', due_at: 'timestamptz', last_status: 'integer', last_error: 'text', sent_at: 'timestamptz', delivered_at: 'timestamptz',
  });
  // the NOTIFY (a retry was scheduled) does not wait on the update: both go out together
  const [r] = await Promise.all([
    tx<{ id: string }[]>`
      UPDATE delivery_attempt a SET state = u.state, due_at = u.due_at, last_status = u.last_status, last_error = u.last_error,
        sent_at = coalesce(a.sent_at, u.sent_at), delivered_at = coalesce(a.delivered_at, u.delivered_at)
      FROM ${u}
      WHERE a.id = u.id AND a.state = 'sending' RETURNING a.id::text`,
    rows.some((o) => o.due_at !== null) ? notifyDeliveryWake(tx, 'attempt') : undefined,
  ]);
  return r.map((x) => x.id);
}

/** A channel delivered these notifications: `delivered_at` (and `sent_at`) stamped where not yet. Returns those that changed. */
export function stampDelivered(tx: TransactionSql, rows: readonly { id: string; at: Date }[]): Promise<NotificationRow[]> {
  return tx<NotificationRow[]>`
    UPDATE delivery_notification n SET delivered_at = u.at, sent_at = coalesce(n.sent_at, u.at)
    FROM ${objectRows(tx, 'u', rows, { id: 'text', at: 'timestamptz' })}
    WHERE n.id = u.id AND n.delivered_at IS NULL
    RETURNING n.id, n.request_id, n.kind, n.seq, n.recipient, n.via, n.created_at, n.sent_at, n.delivered_at, n.read_at, n.acknowledged_at, n.responded_at`;
}

/** The next rung of a person's ladder comes now: the channel before it had nothing to send to, or gave up. */
export async function advanceLadder(tx: TransactionSql, notificationId: string, now: Date): Promise<void> {
  const r = await tx`
    UPDATE delivery_attempt SET due_at = ${now}
    WHERE id = (SELECT id FROM delivery_attempt WHERE notification_id = ${notificationId} AND state = 'scheduled' AND due_at > ${now}
                ORDER BY due_at LIMIT 1)
    RETURNING id`;
  if (r.length > 0) await notifyDeliveryWake(tx, 'attempt');
}

/** Cancels a request's outbox rows not yet sent (acknowledged, resolved, expired). Returns them. */
export function cancelPendingAttempts(tx: TransactionSql, requestId: string): Promise<{ id: string; channel: string; recipient: string; notification_id: string | null }[]> {
  return tx<{ id: string; channel: string; recipient: string; notification_id: string | null }[]>`
    UPDATE delivery_attempt SET state = 'cancelled', due_at = NULL
    WHERE request_id = ${requestId} AND due_at IS NOT NULL AND state = 'scheduled'
    RETURNING id::text, channel, recipient, notification_id`;
}

export type ReceiptField = 'sent_at' | 'delivered_at' | 'read_at' | 'acknowledged_at' | 'responded_at';

/**
 * Stamps a receipt on notifications that do not have it yet: one notification, or all of a
 * request's notifications to `recipient`. Returns the notifications that changed.
 */
export async function stampNotifications(
  tx: TransactionSql,
  field: ReceiptField,
  at: Date,
  which: { notificationId: string } | { requestId: string; recipient: string },
): Promise<NotificationRow[]> {
  const col = tx(field);
  const where = 'notificationId' in which
    ? tx`id = ${which.notificationId}`
    : tx`request_id = ${which.requestId} AND recipient = ${which.recipient}`;
  return tx<NotificationRow[]>`
    UPDATE delivery_notification SET ${col} = ${at} WHERE ${where} AND ${col} IS NULL
    RETURNING ${tx.unsafe(NOTIFICATION_COLUMNS)}`;
}

/** Marks the inbox channel of notifications delivered (a live update reached the app, or the app fetched it). */
export async function markInboxDelivered(tx: TransactionSql, notificationIds: readonly string[], at: Date): Promise<string[]> {
  if (notificationIds.length === 0) return [];
  const r = await tx<{ notification_id: string }[]>`
    UPDATE delivery_attempt SET state = 'delivered', delivered_at = ${at}
    WHERE notification_id = ANY(${notificationIds as string[]}) AND channel = 'inbox' AND state = 'sent'
    RETURNING notification_id`;
  return r.map((x) => x.notification_id);
}

export async function getNotification(sql: Queryable, id: string): Promise<NotificationRow | undefined> {
  const [r] = await sql<NotificationRow[]>`SELECT ${sql.unsafe(NOTIFICATION_COLUMNS)} FROM delivery_notification WHERE id = ${id}`;
  return r;
}

export function listNotifications(sql: Queryable, requestId: string): Promise<NotificationRow[]> {
  return sql<NotificationRow[]>`SELECT ${sql.unsafe(NOTIFICATION_COLUMNS)} FROM delivery_notification WHERE request_id = ${requestId} ORDER BY created_at, id`;
}

/** The highest seq of a request's notifications of one kind (re-notifications and forwards are numbered). */
export async function maxNotificationSeq(tx: TransactionSql, requestId: string, kind: NotificationKind): Promise<number> {
  const [r] = await tx<{ seq: number | null }[]>`SELECT max(seq) AS seq FROM delivery_notification WHERE request_id = ${requestId} AND kind = ${kind}`;
  return r?.seq ?? 0;
}

/** A stored outbox row: what was inserted, with its id and what its attempts since recorded. */
export interface AttemptRow extends AttemptInsert {
  id: string;
  attempts: number;
  delivered_at: Date | null;
  last_status: number | null;
}

const ATTEMPT_COLUMNS = 'id::text, notification_id, digest_id, request_id, recipient, channel, contact, state, attempts, due_at, created_at, sent_at, delivered_at, last_status, last_error';

export function listAttempts(sql: Queryable, requestId: string): Promise<AttemptRow[]> {
  return sql<AttemptRow[]>`SELECT ${sql.unsafe(ATTEMPT_COLUMNS)} FROM delivery_attempt WHERE request_id = ${requestId} ORDER BY delivery_attempt.id`;
}

export async function getAttempt(sql: Queryable, id: string): Promise<AttemptRow | undefined> {
  const [r] = await sql<AttemptRow[]>`SELECT ${sql.unsafe(ATTEMPT_COLUMNS)} FROM delivery_attempt WHERE id = ${id}`;
  return r;
}

/**
 * An outbox row of one organisation's messages (migration 018): a notification's message is, and a
 * digest's messages all are, of that organisation (through delivery_run.inbox_id). Undefined: no condition.
 */
function attemptOfOrganization(sql: Queryable, organization: string | undefined) {
  if (organization === undefined) return sql``;
  return sql`AND CASE WHEN delivery_attempt.request_id IS NOT NULL
    THEN EXISTS (SELECT 1 FROM delivery_run r JOIN inbox i ON i.id = r.inbox_id WHERE r.request_id = delivery_attempt.request_id AND i.organization = ${organization})
    ELSE EXISTS (SELECT 1 FROM delivery_digest d WHERE d.id = delivery_attempt.digest_id) AND NOT EXISTS (
      SELECT 1 FROM delivery_digest d CROSS JOIN unnest(d.request_ids) AS q(id)
        LEFT JOIN delivery_run r ON r.request_id = q.id LEFT JOIN inbox i ON i.id = r.inbox_id
      WHERE d.id = delivery_attempt.digest_id AND i.organization IS DISTINCT FROM ${organization}) END`;
}

/** Dead letters, oldest first after `afterId` (keyset paging); with `organization`, that organisation's only. */
export function listDeadAttempts(sql: Queryable, opts: { afterId?: string; limit: number; organization?: string | undefined }): Promise<AttemptRow[]> {
  return sql<AttemptRow[]>`
    SELECT ${sql.unsafe(ATTEMPT_COLUMNS)} FROM delivery_attempt
    WHERE state = 'dead' AND id > ${opts.afterId ?? '0'}::bigint ${attemptOfOrganization(sql, opts.organization)}
    ORDER BY delivery_attempt.id LIMIT ${opts.limit}`;
}

/**
 * Puts a dead letter back in the outbox, due now, its attempts counted afresh. Returns the row, or
 * undefined when it is not dead (or, with `organization`, not of that organisation).
 */
export async function replayDeadAttempt(tx: TransactionSql, id: string, now: Date, organization?: string): Promise<AttemptRow | undefined> {
  const [r] = await tx<AttemptRow[]>`
    UPDATE delivery_attempt SET state = 'scheduled', attempts = 0, due_at = ${now}, last_error = NULL, last_status = NULL
    WHERE id = ${id} AND state = 'dead' ${attemptOfOrganization(tx, organization)} RETURNING ${tx.unsafe(ATTEMPT_COLUMNS)}`;
  if (r) await notifyDeliveryWake(tx, 'attempt');
  return r;
}

/** Outbox rows by state (for /metrics): scheduled, sending and dead are shaped to the partial indexes. */
export async function countAttempts(sql: Queryable): Promise<{ pending: number; dead: number }> {
  const [r] = await sql<{ pending: number; dead: number }[]>`
    SELECT (SELECT count(*)::int FROM delivery_attempt WHERE due_at IS NOT NULL) AS pending,
           (SELECT count(*)::int FROM delivery_attempt WHERE state = 'dead') AS dead`;
  return r ?? { pending: 0, dead: 0 };
}
