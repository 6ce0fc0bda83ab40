// The SQL of escalation runs (table delivery_run): starting runs in the pipeline's transaction,
// claiming due timers (FOR UPDATE SKIP LOCKED), writing the outcome of a fired timer, and the
// LISTEN/NOTIFY that wakes every gateway's scheduler. What a timer does is src/delivery's business.
import type postgres from 'postgres';
import type { Sql, TransactionSql } from './db.js';
import { eventsInsert, type EventInsert } from './delivery-timeline.js';
import { objectRows } from './pg-array.js';

type Queryable = Sql | TransactionSql;

/** Schedulers LISTEN here; a NOTIFY (on commit) says a timer was set that may be earlier than theirs. */
export const DELIVERY_WAKE_CHANNEL = 'switchboard_delivery_wake';

export type RunState = 'held' | 'active' | 'acknowledged' | 'completed' | 'expired' | 'exhausted';
export type DueKind = 'step' | 'digest' | 'renotify';

export interface RunInsert {
  request_id: string;
  inbox_id: string | null;
  priority: string;
  role: string | null;
  policy: string;
  direct_to: string | null;
  routed_to: string | null;
  received_at: Date;
  /** a routine run held for its digest from the start (state 'held', due then); absent: due at once */
  held_until?: Date | null;
}

/** A stored run: what was inserted, with where it stands. */
export interface RunRow extends RunInsert {
  state: RunState;
  step: number;
  due_at: Date | null;
  due_kind: DueKind | null;
  renotified: number;
  created_at: Date;
  updated_at: Date;
  acknowledged_at: Date | null;
  acknowledged_by: string | null;
  responded_at: Date | null;
  closed_at: Date | null;
  close_reason: string | null;
}

/** A fixed column list (no input in it), spliced with sql.unsafe. */
const RUN_COLUMNS = `request_id, inbox_id::text, priority, role, policy, direct_to, routed_to, state, step, due_at, due_kind, renotified,
  received_at, created_at, updated_at, acknowledged_at, acknowledged_by, responded_at, closed_at, close_reason`;

/**
 * Starts runs, due at once (their first timer decides: fire step 1, or hold a routine message for
 * its digest), or held for their digest from the start (`held_until`: the same decision, taken by
 * the caller). A request that already has a run keeps it (a re-processed message never restarts an
 * escalation), and writes `events` (timeline entries) of the runs that started, in the same
 * statement. NOTIFYs the schedulers, delivered when the caller's transaction commits: 'urgent' when
 * an urgent run is among the rows and `wakeUrgent` (the default), else 'run' when a row is due at
 * once, else nothing (a held run is found by every scheduler's next look at its timers, within its
 * poll interval). The NOTIFY goes out with the insert, before its result: a message processed
 * again, whose run exists, wakes the schedulers for nothing. A caller that fires the urgent first
 * steps in this same transaction passes `wakeUrgent: false` and sends 'urgent' itself only for
 * what it left. Returns the request ids that got a new run.
 */
export async function insertRuns(tx: TransactionSql, rows: readonly RunInsert[], now: Date, o: { wakeUrgent?: boolean; events?: readonly EventInsert[] } = {}): Promise<string[]> {
  if (rows.length === 0) return [];
  // 'urgent' also wakes every scheduler's urgent lane (a page that leaves at once); 'run' only the rounds
  const wake = rows.some((r) => r.priority !== 'routine' && o.wakeUrgent !== false) ? 'urgent' : rows.some((r) => !r.held_until) ? 'run' : null;
  const [inserted] = await Promise.all([
    tx<{ request_id: string }[]>`
      WITH started AS (
        INSERT INTO delivery_run (request_id, inbox_id, priority, role, policy, direct_to, routed_to, state, step, due_at, due_kind, received_at, created_at, updated_at)
        SELECT r.request_id, r.inbox_id::bigint, r.priority, r.role, r.policy, r.direct_to, r.routed_to,
               CASE WHEN r.held_until IS NULL THEN 'active' ELSE 'held' END, 0, coalesce(r.held_until, ${now}),
               CASE WHEN r.held_until IS NULL THEN 'step' ELSE 'digest' END, r.received_at, ${now}, ${now}
        FROM jsonb_to_recordset(${tx.json(rows as unknown as postgres.JSONValue)}) AS r(
          request_id text, inbox_id text, priority text, role text, policy text, direct_to text, routed_to text, received_at timestamptz, held_until timestamptz)
        ON CONFLICT (request_id) DO NOTHING
        RETURNING request_id
      ), timeline AS (
        ${eventsInsert(tx, o.events ?? [])} WHERE e.request_id IN (SELECT request_id FROM started)
      )
      SELECT request_id FROM started`,
    wake === null ? undefined : notifyDeliveryWake(tx, wake),
  ]);
  return inserted.map((r) => r.request_id);
}

/**
 * Which due runs a claim takes. `timers`: step and re-notify timers, leaving the first step of an
 * urgent run started less than `leaveFreshUrgentMs` ago to the urgent lane (0: leaving none);
 * `urgent`: only the first step of urgent runs (stat, asap, urgent), whenever started; `digests`:
 * routine runs held for a start of day.
 */
export type DueClaim = { kind: 'timers'; leaveFreshUrgentMs: number } | { kind: 'urgent' } | { kind: 'digests' };

/** A claimed run, with its CommunicationRequest's head (null: the request is not stored). */
export interface DueRun extends RunRow {
  head: RequestHeadRow | null;
}

/**
 * Claims up to `limit` runs whose timer is due at `now` (see DueClaim), oldest due first (the
 * urgent lane: newest started first), locked until the caller's transaction ends; rows another
 * process or lane holds are skipped, not waited for. Each form matches its partial index. Each run
 * comes with its request's head (readRequestHeads), read by the same statement.
 */
export async function claimDueRuns(tx: TransactionSql, now: Date, which: DueClaim, limit: number): Promise<DueRun[]> {
  const timers = tx`due_at IS NOT NULL AND due_kind <> 'digest' AND due_at <= ${now}`;
  const firstUrgent = tx`due_kind = 'step' AND step = 0 AND priority <> 'routine'`;
  const where = which.kind === 'digests'
    ? tx`due_kind = 'digest' AND due_at <= ${now}`
    : which.kind === 'urgent'
      ? tx`${timers} AND ${firstUrgent}`
      : which.leaveFreshUrgentMs > 0
        ? tx`${timers} AND NOT (${firstUrgent} AND created_at > ${new Date(now.getTime() - which.leaveFreshUrgentMs)})`
        : timers;
  // the urgent lane takes the newest first (the page just started must leave at once; a backlog of
  // older due ones is what the rounds are working through, oldest first)
  const order = which.kind === 'urgent' ? tx`created_at DESC` : tx`due_at`;
  // the runs are claimed in a subquery of their own (its LIMIT and lock as they were), then each
  // probes its request by primary key: the LIMIT keeps the probe a subquery run per claimed run
  // (as a join, a small claim could be hashed against every stored request of the type)
  const rows = await tx<(RunRow & { head_found: boolean; head_status: string | null; head_subject: string | null; head_priority: string | null })[]>`
    SELECT r.*, h.found IS NOT NULL AS head_found, h.status AS head_status, h.subject AS head_subject, h.priority AS head_priority
    FROM (SELECT ${tx.unsafe(RUN_COLUMNS)} FROM delivery_run WHERE ${where}
          ORDER BY ${order} LIMIT ${limit}
          FOR UPDATE SKIP LOCKED) r
    LEFT JOIN LATERAL (SELECT true AS found, f.status, f.subject, f.priority FROM fhir_resource f
                       WHERE f.resource_type = 'CommunicationRequest' AND f.id = r.request_id LIMIT 1) h ON true`;
  return rows.map(({ head_found, head_status, head_subject, head_priority, ...run }) => ({
    ...run, head: head_found ? { status: head_status, subject: head_subject, priority: head_priority } : null,
  }));
}

/** One run, locked for this transaction (an acknowledgement serialises with a step being fired). */
export async function lockRun(tx: TransactionSql, requestId: string): Promise<RunRow | undefined> {
  const [r] = await tx<RunRow[]>`SELECT ${tx.unsafe(RUN_COLUMNS)} FROM delivery_run WHERE request_id = ${requestId} FOR UPDATE`;
  return r;
}

/** One run; with `organization`, only when its message is of that organisation (migration 018). */
export async function getRun(sql: Queryable, requestId: string, organization?: string): Promise<RunRow | undefined> {
  const org = organization === undefined ? sql`` : sql`AND EXISTS (SELECT 1 FROM inbox i WHERE i.id = delivery_run.inbox_id AND i.organization = ${organization})`;
  const [r] = await sql<RunRow[]>`SELECT ${sql.unsafe(RUN_COLUMNS)} FROM delivery_run WHERE request_id = ${requestId} ${org}`;
  return r;
}

export interface RunUpdate {
  request_id: string;
  state: RunState;
  step: number;
  due_at: Date | null;
  due_kind: DueKind | null;
  renotified: number;
  acknowledged_at: Date | null;
  acknowledged_by: string | null;
  responded_at: Date | null;
  closed_at: Date | null;
  close_reason: string | null;
}

/** Writes the new state of each run (one statement); NOTIFYs the schedulers when a timer was set. */
export async function updateRuns(tx: TransactionSql, rows: readonly RunUpdate[], now: Date): Promise<void> {
  if (rows.length === 0) return;
  const u = objectRows(tx, 'u', rows, {
    request_id: 'text', state: 'text', step: 'integer', due_at: 'timestamptz', due_kind: 'text', renotified: 'integer',
    acknowledged_at: 'timestamptz', acknowledged_by: 'text', responded_at: 'timestamptz', closed_at: 'timestamptz', close_reason: 'text',
  });
  // the NOTIFY does not wait on the update: both go out together
  await Promise.all([
    tx`
      UPDATE delivery_run d SET state = u.state, step = u.step, due_at = u.due_at, due_kind = u.due_kind, renotified = u.renotified,
        acknowledged_at = u.acknowledged_at, acknowledged_by = u.acknowledged_by, responded_at = u.responded_at,
        closed_at = u.closed_at, close_reason = u.close_reason, updated_at = ${now}
      FROM ${u}
      WHERE d.request_id = u.request_id`,
    rows.some((r) => r.due_at !== null) ? notifyDeliveryWake(tx, 'run') : undefined,
  ]);
}

export interface RequestHeadRow {
  status: string | null;
  subject: string | null;
  priority: string | null;
}

/** The status, subject and priority of stored CommunicationRequests (their search columns), by id. */
export async function readRequestHeads(sql: Queryable, ids: readonly string[]): Promise<Map<string, RequestHeadRow>> {
  if (ids.length === 0) return new Map();
  const rows = await sql<({ id: string } & RequestHeadRow)[]>`
    SELECT id, status, subject, priority FROM fhir_resource WHERE resource_type = 'CommunicationRequest' AND id = ANY(${[...new Set(ids)]})`;
  return new Map(rows.map((r) => [r.id, { status: r.status, subject: r.subject, priority: r.priority }]));
}

export interface NextDue {
  /** the earliest step or re-notify timer */
  run: Date | null;
  /** the earliest routine digest */
  digest: Date | null;
  /** the earliest outbox send (ladder rung, retry, or a sender's lease running out) */
  attempt: Date | null;
}

/** The earliest timers (null: none), so a scheduler sleeps exactly until the next one: one statement, three index probes. */
export async function nextDeliveryDue(sql: Queryable): Promise<NextDue> {
  const [r] = await sql<NextDue[]>`
    SELECT (SELECT min(due_at) FROM delivery_run WHERE due_at IS NOT NULL AND due_kind <> 'digest') AS run,
           (SELECT min(due_at) FROM delivery_run WHERE due_kind = 'digest') AS digest,
           (SELECT min(due_at) FROM delivery_attempt WHERE due_at IS NOT NULL) AS attempt`;
  return r ?? { run: null, digest: null, attempt: null };
}

/** Subscribes to DELIVERY_WAKE_CHANNEL; `onWake` also runs on every (re)connect, when notifications may have been missed. */
export async function listenDeliveryWake(sql: Sql, onWake: (what: string) => void): Promise<{ unlisten(): Promise<void> }> {
  return sql.listen(DELIVERY_WAKE_CHANNEL, (v) => onWake(v), () => onWake('listen'));
}

export async function notifyDeliveryWake(sql: Queryable, what: 'run' | 'urgent' | 'attempt'): Promise<void> {
  await sql`SELECT pg_notify(${DELIVERY_WAKE_CHANNEL}, ${what})`;
}
