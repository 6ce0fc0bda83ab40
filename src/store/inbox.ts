// The inbox and rejected tables: every statement the ingest stage runs (group-commit insert, resend
// lookup, claims, outcomes, the admin views, refused input) and the LISTEN/NOTIFY that wakes workers.
// Policy (what to accept, how to answer, when to give up) stays in src/ingest; this file only talks SQL.
import type { JSONValue } from 'postgres';
import type { Sql, TransactionSql } from './db.js';
import { inboxAad, openBytes, rejectedAad, sealBytes } from './phi.js';
import { rowsOf, type RowValue } from './pg-array.js';

/** The channel workers LISTEN on. */
export const INBOX_CHANNEL = 'switchboard_inbox';

/** One message to store in the inbox. */
export interface InboxRow {
  source: 'mllp' | 'http' | 'calls' | 'fhir';
  senderApp: string;
  senderFacility: string;
  controlId: string;
  messageType: string;
  version: string | null;
  charset: string | null;
  raw: Buffer;
  peer: string | null;
  ackMode: 'original' | 'enhanced' | 'none';
  /** The answer to send once committed; stored so a duplicate gets the very same bytes. */
  ack: Buffer | null;
  /** SHA-256 of the content as src/ingest defines "the same message" (part of the dedupe key). */
  contentHash: Buffer;
  /** a digest of the message's patient (order per sender and patient); null: none, ordered per sender */
  orderPatient?: string | null;
  /** intake-time triage: 0 routine .. 3 stat (claims take higher first) */
  priority?: number;
  /** the organisation the message belongs to (its sender's, a call note's submitter's); default: DEFAULT_ORGANIZATION */
  organization?: string;
}

/** The organisation of rows stored without one (and of every row stored before organisations existed, migration 018). */
export const DEFAULT_ORGANIZATION = 'default';

/**
 * The dedupe key of an inbox row: MSH-3, MSH-4, MSH-10 and the content hash (for call notes the
 * submitter, the Idempotency-Key and the body's hash).
 */
export type InboxKey = Pick<InboxRow, 'senderApp' | 'senderFacility' | 'controlId' | 'contentHash'>;

export interface InsertedInboxRow {
  id: string;
  sender_app: string;
  sender_facility: string;
  control_id: string;
  content_hash: Buffer;
  /** an earlier row has the same sender and control id with other content (set by a trigger, migration 005) */
  control_id_reused?: boolean;
}

/** An already stored row found for a resend: its id and the ACK it was answered with. */
export interface StoredInboxAck extends InsertedInboxRow {
  ack: Buffer | null;
}

const INBOX_COLUMNS = ['source', 'sender_app', 'sender_facility', 'control_id', 'message_type', 'version', 'charset', 'raw', 'peer', 'ack_mode', 'ack', 'content_hash', 'order_patient', 'priority', 'organization'] as const;

/**
 * Inserts a batch; rows whose key is already stored (resends) are skipped and not returned.
 * One multi-row VALUES statement for the whole batch (one statement text per batch size, each
 * prepared once per connection). Measured against unnest over base64 text arrays, its former
 * batch path: 8 rows 0.47 vs 0.55 ms, 16 rows 0.66 vs 0.72 ms per committed statement.
 * With `notify`, the same statement NOTIFYs INBOX_CHANNEL (delivered on commit) to wake other replicas;
 * its payload is the batch's priorities, `max:min:rows` (the most and the least urgent, the batch's
 * size), so another replica's critical lane sleeps through routine rows and its idle routine
 * workers through rows only its lane takes (not given: an empty payload, which wakes every worker).
 */
export function insertInboxRows(sql: Sql, rows: InboxRow[], opts: { notify: boolean; priorities?: PriorityRange }): Promise<InsertedInboxRow[]> {
  const woke = opts.notify ? sql`, pg_notify(${INBOX_CHANNEL}, ${opts.priorities === undefined ? '' : `${opts.priorities.max}:${opts.priorities.min}:${opts.priorities.rows ?? rows.length}`})::text AS woke` : sql``;
  const values = rows.map((r) => ({
    source: r.source, sender_app: r.senderApp, sender_facility: r.senderFacility, control_id: r.controlId,
    message_type: r.messageType, version: r.version, charset: r.charset, peer: r.peer, ack_mode: r.ackMode, ack: r.ack,
    // PHI at rest (phi.ts): sealed under the active key, bound to the row's dedupe key
    raw: sealBytes(r.raw, inboxAad({ sender_app: r.senderApp, sender_facility: r.senderFacility, control_id: r.controlId, content_hash: r.contentHash })),
    content_hash: r.contentHash, order_patient: r.orderPatient ?? null, priority: r.priority ?? 0,
    organization: r.organization ?? DEFAULT_ORGANIZATION,
  }));
  return sql<InsertedInboxRow[]>`
    INSERT INTO inbox ${sql(values, INBOX_COLUMNS)}
    ON CONFLICT (sender_app, sender_facility, control_id, content_hash) DO NOTHING
    RETURNING id::text, sender_app, sender_facility, control_id, content_hash, control_id_reused ${woke}`;
}

/** The unique index that binds a call note's Idempotency-Key to one body (migration 005). */
const CALL_KEY_INDEX = 'inbox_call_idempotency_key';

/** True when an insert failed because a call note's Idempotency-Key is stored with another body. */
export function isCallKeyConflict(e: unknown): boolean {
  const err = e as { code?: unknown; constraint_name?: unknown } | null;
  return err?.code === '23505' && err.constraint_name === CALL_KEY_INDEX;
}

/**
 * The stored rows for these keys (the originals of resends). ON CONFLICT in insertInboxRows waits
 * for a concurrent insert of the same key to commit, so after it the original is always visible here.
 */
export function findInboxRowsByKey(sql: Sql, keys: InboxKey[]): Promise<StoredInboxAck[]> {
  return sql<StoredInboxAck[]>`
    SELECT e.id::text, e.sender_app, e.sender_facility, e.control_id, e.content_hash, e.ack FROM inbox e
    JOIN unnest(${keys.map((r) => r.senderApp)}::text[], ${keys.map((r) => r.senderFacility)}::text[], ${keys.map((r) => r.controlId)}::text[],
                ${keys.map((r) => r.contentHash.toString('hex'))}::text[])
      AS k(sender_app, sender_facility, control_id, content_hex)
      ON e.sender_app = k.sender_app AND e.sender_facility = k.sender_facility AND e.control_id = k.control_id AND e.content_hash = decode(k.content_hex, 'hex')`;
}

/** The intake priorities of a batch of stored rows (0 routine .. 3 stat): the most and the least urgent, and how many rows. */
export interface PriorityRange {
  max: number;
  min: number;
  /** the batch's rows (unknown: from an earlier version's NOTIFY) */
  rows?: number;
}

/**
 * Subscribes to INBOX_CHANNEL: `onWake` runs whenever rows were stored or re-queued (by any
 * replica), with the stored batch's priorities when the NOTIFY names them (undefined: any row may
 * be waiting). A payload of the most urgent priority alone (`3`, as replicas before the range sent
 * it) is read as a batch that may hold routine rows too. Returns the unsubscribe.
 */
export async function listenInbox(sql: Sql, onWake: (priorities?: PriorityRange) => void): Promise<() => Promise<void>> {
  const sub = await sql.listen(INBOX_CHANNEL, (payload) => {
    const m = /^([0-9])(?::([0-9])(?::([0-9]{1,6}))?)?$/.exec(payload);
    if (!m) return onWake(undefined);
    const max = Number(m[1]);
    onWake({ max, min: m[2] === undefined ? 0 : Math.min(max, Number(m[2])), ...(m[3] === undefined ? {} : { rows: Number(m[3]) }) });
  });
  return () => sub.unlisten();
}

export interface ClaimedInboxRow {
  id: string;
  source: string;
  message_type: string;
  raw: Buffer;
  received_at: Date;
  attempts: number;
  ack_mode: string;
  /** intake-time triage: 0 routine .. 3 stat */
  priority: number;
  /** the order group: MSH-3, MSH-4 and the patient digest (null: ordered per sender) */
  sender_app: string;
  sender_facility: string;
  order_patient: string | null;
  /** the peer the message came from (audit) */
  peer: string | null;
}

/**
 * Claims up to `limit` rows for `claimMs` (FOR UPDATE SKIP LOCKED, so any number of workers and
 * replicas share one database, none waiting on another); a row whose claim expired (its worker
 * died) is claimed again. Returned in id order, the order their resources must be saved in.
 *
 * Order (README "Processing"): a row is taken only when every earlier row of the same sender and
 * patient (`order_patient`) that is still pending is taken by the same claim; a row without a
 * patient waits for every earlier row of its sender, and every later row of its sender waits for
 * it. So a claim takes a patient's consecutive pending rows together (its first row, the "head",
 * and the rows after it, up to the batch), and none while an earlier row is in flight elsewhere.
 * The NOT EXISTS are index probes on inbox_order_pending. Higher `priority` first (inbox_claim), then
 * oldest; with `minPriority`, only rows at least that urgent (the gateway's lane for critical
 * messages); with `maxPriority`, only rows at most that urgent (routine workers leaving urgent rows
 * to that lane). A row outside the band also cuts its group's chain: the rows after it wait for it.
 */
export async function claimInboxRows(sql: Sql, opts: ClaimOptions): Promise<ClaimedInboxRow[]> {
  // First among a bounded window of candidates, the most urgent and the oldest claimable rows (two
  // index ranges): ORDER BY over the order check would otherwise evaluate it for every pending row
  // before the LIMIT. When the window does not fill the batch (small backlog, or rows of the window
  // waiting for their patient's earlier rows), the whole backlog is looked at, so a long chain of
  // one patient's rows can never hide other patients' rows.
  const first = await claimSql(sql, opts, Math.max(opts.limit * 4, 16));
  const rows = first.length >= opts.limit ? first : [...first, ...(await claimSql(sql, { ...opts, limit: opts.limit - first.length }, null))];
  return rows.sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1)).map(openClaimed);
}

/** The claimed row with its raw bytes opened (phi.ts) and the columns of its AAD left out. */
function openClaimed(r: ClaimedWire): ClaimedInboxRow {
  const { control_id, content_hash, ...row } = r;
  return { ...row, raw: openBytes(r.raw, inboxAad({ sender_app: r.sender_app, sender_facility: r.sender_facility, control_id, content_hash })) };
}

type ClaimedWire = ClaimedInboxRow & { control_id: string; content_hash: Buffer };

export interface ClaimOptions {
  claimMs: number;
  limit: number;
  /** only rows at least this urgent (intake priority, 0 routine .. 3 stat) */
  minPriority?: number;
  /** only rows at most this urgent */
  maxPriority?: number;
}

/** One claim statement; `window`: only that many most urgent and oldest rows are candidates (null: all). */
function claimSql(sql: Sql, opts: ClaimOptions, window: number | null): Promise<ClaimedWire[]> {
  const minPriority = opts.minPriority ?? 0;
  const max = opts.maxPriority;
  const below = max === undefined ? sql`` : sql`AND priority <= ${max}`;
  const belowE = max === undefined ? sql`` : sql`AND e.priority <= ${max}`;
  const belowI = max === undefined ? sql`` : sql`AND i.priority <= ${max}`;
  // Over the whole backlog the heads read inbox directly: a candidates list joined back by id would
  // be flattened into the join, and with statistics that saw nothing pending the planner then scans
  // every pending row once per pending row (150 ms per claim at a 500-row backlog, run on every
  // wake-up of the critical lane). The priority band is on `i` in both forms, so the order checks
  // below only run for rows of the band.
  const pending = sql`i.state IN ('received', 'processing') AND (i.state = 'received' OR i.claimed_until < now())
        AND i.priority >= ${minPriority} ${belowI}
        AND NOT EXISTS (
          SELECT 1 FROM inbox e WHERE e.state NOT IN ('processed', 'failed')
            AND e.sender_app = i.sender_app AND e.sender_facility = i.sender_facility AND e.order_patient = i.order_patient
            AND e.id < i.id OFFSET 0)
        AND NOT EXISTS (
          SELECT 1 FROM inbox e WHERE e.state NOT IN ('processed', 'failed')
            AND e.sender_app = i.sender_app AND e.sender_facility = i.sender_facility AND e.order_patient IS NULL
            AND e.id < i.id OFFSET 0)
        AND (i.order_patient IS NOT NULL OR NOT EXISTS (
          SELECT 1 FROM inbox e WHERE e.state NOT IN ('processed', 'failed')
            AND e.sender_app = i.sender_app AND e.sender_facility = i.sender_facility
            AND e.id < i.id OFFSET 0))`;
  // Each order check is `NOT EXISTS (… OFFSET 0)` over `state NOT IN ('processed', 'failed')`: the
  // OFFSET keeps it a correlated subplan, one probe of inbox_order_pending per candidate, and that
  // predicate lets no other partial index serve it (migration 014). Statistics taken while few
  // rows were pending (the normal state) made the planner join every candidate against every
  // pending row, or scan inbox_pending whole per probe: 2-4 s per claim against a backlog of
  // 3,000, where the probes take milliseconds. Each probe is equalities on the index's leading
  // columns and a bound on `id`, never a row comparison such as `(sender_app, sender_facility,
  // order_patient, id) < (…)`: beside equalities on its columns, PostgreSQL 15-17 treat that as an
  // inequality on the first column, so the equalities after it no longer end the scan, and a probe
  // that finds nothing walks the sender's later patients to the end of its entries (45 pages per
  // probe, 25 ms per claim of 32 against one lab's 3,000-row backlog, against 5 ms; 18 keeps the
  // bound either way).
  // With a window, the candidates are taken in claim order and each is probed by id in a LATERAL
  // subquery (with its row lock), so the LIMIT stops at the batch's last head: the checks run for
  // about `limit` candidates, not the whole window (a join sorted after the checks ran them for all
  // of it: 12 ms against 3.5 ms per claim of 32 at a 3,000-row backlog). The subquery's lock clause
  // keeps it a parameterised probe whatever the statistics say; joined plainly, statistics that saw
  // nothing pending made the planner scan the pending rows whole (170 ms).
  const heads = window === null
    ? sql`SELECT i.id, i.sender_app, i.sender_facility, i.order_patient, i.priority FROM inbox i
      WHERE ${pending}
      ORDER BY i.priority DESC, i.id
      LIMIT ${opts.limit}
      FOR UPDATE OF i SKIP LOCKED`
    : sql`SELECT h.id, h.sender_app, h.sender_facility, h.order_patient, h.priority
      FROM (SELECT id, priority FROM (
              (SELECT id, priority FROM inbox
               WHERE state IN ('received', 'processing') AND (state = 'received' OR claimed_until < now()) AND priority >= ${minPriority} ${below}
               ORDER BY priority DESC, id LIMIT ${window})
              UNION
              (SELECT id, priority FROM inbox
               WHERE state IN ('received', 'processing') AND (state = 'received' OR claimed_until < now()) AND priority >= ${minPriority} ${below}
               ORDER BY id LIMIT ${window})) u
            ORDER BY priority DESC, id) c
      CROSS JOIN LATERAL (
        SELECT i.id, i.sender_app, i.sender_facility, i.order_patient, i.priority FROM inbox i
        WHERE i.id = c.id AND ${pending}
        FOR UPDATE SKIP LOCKED) h
      LIMIT ${opts.limit}`;
  // heads: rows with no earlier pending row of their order group; followers: the pending rows of a
  // head's (sender, patient) after it, in id order. A follower is kept only when every earlier
  // pending row of its group (and every earlier patient-less row of its sender) is in this claim:
  // one skipped (locked, claimed elsewhere, outside the priority band) cuts the chain there.
  return sql<ClaimedWire[]>`
    WITH heads AS (${heads}
    ), followers AS (
      SELECT f.id, h.id AS head, h.priority AS head_priority, h.sender_app, h.sender_facility, h.order_patient
      FROM heads h CROSS JOIN LATERAL (
        SELECT e.id FROM inbox e
        WHERE e.state NOT IN ('processed', 'failed') AND (e.state = 'received' OR e.claimed_until < now())
          AND e.sender_app = h.sender_app AND e.sender_facility = h.sender_facility AND e.order_patient = h.order_patient
          AND e.id > h.id
          AND e.priority >= ${minPriority} ${belowE}
        ORDER BY e.sender_app, e.sender_facility, e.order_patient, e.id
        LIMIT ${Math.max(0, opts.limit - 1)}
        FOR UPDATE OF e SKIP LOCKED) f
      WHERE h.order_patient IS NOT NULL
    ), picked AS (
      SELECT id, id AS head, priority AS head_priority FROM heads
      UNION ALL
      SELECT f.id, f.head, f.head_priority FROM followers f
      WHERE NOT EXISTS (
        SELECT 1 FROM inbox e WHERE e.state NOT IN ('processed', 'failed')
          AND e.sender_app = f.sender_app AND e.sender_facility = f.sender_facility AND e.order_patient = f.order_patient
          AND e.id > f.head AND e.id < f.id
          AND NOT EXISTS (SELECT 1 FROM followers g WHERE g.id = e.id) OFFSET 0)
        AND NOT EXISTS (
        SELECT 1 FROM inbox e WHERE e.state NOT IN ('processed', 'failed')
          AND e.sender_app = f.sender_app AND e.sender_facility = f.sender_facility AND e.order_patient IS NULL
          AND e.id > f.head AND e.id < f.id OFFSET 0)
    ), taken AS (
      -- every head first, then each group's second row, and so on: a flood of one patient shares
      -- the batch with the others; a group keeps a prefix of its chain
      SELECT id FROM (SELECT id, head, head_priority, row_number() OVER (PARTITION BY head ORDER BY id) AS rn FROM picked) p
      ORDER BY rn, head_priority DESC, head LIMIT ${opts.limit}
    )
    UPDATE inbox SET state = 'processing', attempts = inbox.attempts + 1, claimed_until = now() + ${opts.claimMs} * interval '1 millisecond'
    FROM taken WHERE inbox.id = taken.id
    RETURNING inbox.id::text AS id, source, message_type, raw, received_at, attempts, ack_mode, priority, inbox.sender_app, inbox.sender_facility, order_patient, peer,
              inbox.control_id, inbox.content_hash`;
}

/**
 * Hands claimed rows back unprocessed (their attempt not counted), for the next claim: rows of a
 * batch left behind because an earlier row of their sender could not be saved, or deferred to keep
 * the batch's transaction short.
 */
export async function releaseInboxRows(sql: Sql | TransactionSql, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await sql`UPDATE inbox SET state = 'received', claimed_until = NULL, attempts = greatest(attempts - 1, 0)
            WHERE id = ANY(${ids as string[]}::bigint[]) AND state = 'processing'`;
}

export interface InboxMapped {
  /** routing failed: the row is `failed` with this reason, but the mapped resources are kept */
  failure: { code: string; reason: string } | null;
  /** the mapping report and routing record: plain JSON built by src/mapping and src/routing */
  mappingReport: unknown;
  routing: unknown;
  /** enhanced mode: the application ACK built for this outcome */
  appAck: Buffer | null;
}

/**
 * Ends a mapped row: `processed` (or `failed` when routing failed), with its report, routing record
 * and application ACK. Runs in the caller's transaction, the one that saved the mapped resources.
 */
export async function markInboxProcessed(tx: TransactionSql, id: string, m: InboxMapped): Promise<void> {
  const f = m.failure;
  // the report and routing record are JSON data typed by their owners; postgres.js sends them as jsonb
  await tx`UPDATE inbox SET state = ${f ? 'failed' : 'processed'}, processed_at = now(), claimed_until = NULL,
             error_code = ${f?.code ?? null}, error = ${f?.reason ?? null},
             mapping_report = ${tx.json(m.mappingReport as JSONValue)},
             routing = ${m.routing === null ? null : tx.json(m.routing as JSONValue)},
             app_ack = ${m.appAck}
           WHERE id = ${id}`;
}

/** Ends a row that could not be mapped: `failed` with its reason, re-processable with `inbox retry`. */
export async function markInboxFailed(tx: TransactionSql, id: string, f: { code: string; reason: string; appAck: Buffer | null }): Promise<void> {
  await tx`UPDATE inbox SET state = 'failed', processed_at = now(), claimed_until = NULL, error_code = ${f.code}, error = ${f.reason},
             app_ack = ${f.appAck}
           WHERE id = ${id}`;
}

/** The end of one row of a batch: its state and what markInboxProcessed / markInboxFailed would write. */
export interface InboxOutcomeRow {
  id: string;
  state: 'processed' | 'failed';
  errorCode: string | null;
  error: string | null;
  /** null for a row that was not mapped (its mapping report and routing are left as they are) */
  mappingReport: unknown;
  routing: unknown;
  appAck: Buffer | null;
}

/**
 * Ends every row of a batch in one UPDATE, in the caller's transaction (the one that saved their
 * resources). The rows travel column by column (rowsOf).
 */
export async function markInboxRows(tx: TransactionSql, rows: readonly InboxOutcomeRow[]): Promise<void> {
  if (rows.length === 0) return;
  const r = rowsOf(tx, 'r', [
    { name: 'id', type: 'bigint', values: rows.map((x) => x.id) },
    { name: 'state', type: 'text', values: rows.map((x) => x.state) },
    { name: 'error_code', type: 'text', values: rows.map((x) => x.errorCode) },
    { name: 'error', type: 'text', values: rows.map((x) => x.error) },
    { name: 'mapping_report', type: 'jsonb', values: rows.map((x) => (x.mappingReport ?? null) as RowValue) },
    { name: 'routing', type: 'jsonb', values: rows.map((x) => (x.routing ?? null) as RowValue) },
    { name: 'app_ack', type: 'bytea', values: rows.map((x) => x.appAck ?? null) },
  ]);
  await tx`UPDATE inbox SET state = r.state, processed_at = now(), claimed_until = NULL, error_code = r.error_code, error = r.error,
             mapping_report = coalesce(r.mapping_report, inbox.mapping_report),
             routing = CASE WHEN r.mapping_report IS NULL THEN inbox.routing ELSE r.routing END, app_ack = r.app_ack
           FROM ${r}
           WHERE inbox.id = r.id`;
}

/** Gives up on a row whose mapped resources could not be saved, after its last attempt. */
export async function markInboxSaveFailed(sql: Sql | TransactionSql, id: string): Promise<void> {
  await sql`UPDATE inbox SET state = 'failed', error_code = 'ERR_SAVE_FAILED', error = 'saving the mapped resources failed repeatedly' WHERE id = ${id}`;
}

/** The columns every inbox view shows. */
export interface InboxListRow {
  id: string; source: string; sender_app: string; sender_facility: string; control_id: string;
  message_type: string; state: string; received_at: Date; attempts: number; error_code: string | null;
  control_id_reused: boolean; organization: string;
}

/**
 * Rows in id order after `afterId` (keyset paging), optionally only those in `state`, and of
 * one `organization` when given (the reader's, set by src/http's gate; none: every organisation).
 * `ORDER BY inbox.id`, qualified: the output column `id` is text (`id::text`), and an unqualified
 * ORDER BY id would sort by it (1, 10, 100, 1000, 1001 …), so keyset pages would skip rows.
 */
export function listInboxRows(sql: Sql, opts: { state?: string; afterId?: string; limit: number; organization?: string }): Promise<InboxListRow[]> {
  const org = opts.organization === undefined ? sql`` : sql`AND organization = ${opts.organization}`;
  return sql<InboxListRow[]>`
    SELECT inbox.id::text AS id, source, sender_app, sender_facility, control_id, message_type, state, received_at, attempts, error_code, control_id_reused, organization FROM inbox
    WHERE (${opts.state ?? null}::text IS NULL OR state = ${opts.state ?? null})
      AND inbox.id > ${opts.afterId ?? '0'}::bigint ${org}
    ORDER BY inbox.id LIMIT ${opts.limit}`;
}

export interface InboxDetailRow extends InboxListRow {
  version: string | null; charset: string | null; processed_at: Date | null; error: string | null; ack_mode: string;
  ack: Buffer | null; app_ack: Buffer | null; mapping_report: unknown; routing: unknown;
}

/**
 * One inbox row with its ACKs, mapping report and routing decision (not the raw message). `id` must be
 * digits. With `organization`, a row of another organisation is not found.
 */
export async function getInboxRow(sql: Sql, id: string, organization?: string): Promise<InboxDetailRow | undefined> {
  const org = organization === undefined ? sql`` : sql`AND organization = ${organization}`;
  const [r] = await sql<InboxDetailRow[]>`
    SELECT id::text, source, sender_app, sender_facility, control_id, message_type, version, charset, state, received_at, processed_at, attempts,
           error_code, error, ack_mode, ack, app_ack, mapping_report, routing, control_id_reused, organization
    FROM inbox WHERE id = ${id} ${org}`;
  return r;
}

/**
 * Puts a failed (or stuck) row back in the queue and wakes the workers. Returns how many rows were
 * re-queued (0 or 1). `id` must be digits. With `organization`, a row of another organisation is left alone.
 */
export async function requeueInboxRow(sql: Sql, id: string, organization?: string): Promise<number> {
  const org = organization === undefined ? sql`` : sql`AND organization = ${organization}`;
  const rows = await sql`
    UPDATE inbox SET state = 'received', attempts = 0, claimed_until = NULL, error_code = NULL, error = NULL
    WHERE id = ${id} AND state IN ('failed', 'processing') ${org} RETURNING id`;
  if (rows.length) await sql`SELECT pg_notify(${INBOX_CHANNEL}, '')`;
  return rows.length;
}

export interface InboxQueueCounts {
  received: number;
  processing: number;
  failed: number;
}

/**
 * Rows waiting or failed, per state (for /metrics, scraped every few seconds). Each count is shaped
 * to match a partial index (inbox_pending, inbox_failed): it never scans the processed rows.
 */
export async function countInboxByState(sql: Sql): Promise<InboxQueueCounts | undefined> {
  const [r] = await sql<InboxQueueCounts[]>`
    SELECT count(*) FILTER (WHERE state = 'received')::int AS received,
           count(*) FILTER (WHERE state = 'processing')::int AS processing,
           (SELECT count(*)::int FROM inbox WHERE state = 'failed') AS failed
    FROM inbox WHERE state IN ('received', 'processing')`;
  return r;
}

/** Refused input to keep for inspection. */
export interface RejectedInput {
  source: string;
  peer: string | null;
  controlId: string | null;
  errorCode: string;
  reason: string;
  raw: Buffer;
  /** the ACK that was sent back */
  ack: Buffer;
}

/** Trim cadence of `rejected`: every 1,000 rows (every tenth of the cap when that is smaller). */
const REJECTED_TRIM_EVERY = 1_000;

/**
 * Stores refused input and keeps only about the newest `keep` rows, so a misbehaving peer cannot
 * fill the disk: the RETURNING id drives the cap; every REJECTED_TRIM_EVERY rows, the oldest beyond
 * the cap go. With `trimBytes` (the caller counts the bytes it stored) the oldest rows beyond
 * `keepBytes` in all go too: a few large inputs must not fill it either.
 */
export async function insertRejected(sql: Sql, r: RejectedInput, opts: { keep: number; keepBytes?: number; trimBytes?: boolean }): Promise<void> {
  // the id first: it is the AAD of the sealed bytes (phi.ts); refused input is not the hot path
  const [next] = await sql<{ id: string }[]>`SELECT nextval(pg_get_serial_sequence('rejected', 'id'))::text AS id`;
  const id = next!.id;
  const [row] = await sql<{ id: string }[]>`INSERT INTO rejected (id, source, peer, control_id, error_code, reason, raw, ack)
    VALUES (${id}, ${r.source}, ${r.peer}, ${r.controlId}, ${r.errorCode}, ${r.reason}, ${sealBytes(r.raw, rejectedAad(id))}, ${r.ack}) RETURNING id::text`;
  const every = Math.max(1, Math.min(REJECTED_TRIM_EVERY, Math.floor(opts.keep / 10)));
  if (row && Number(row.id) % every === 0) await sql`DELETE FROM rejected WHERE id <= ${Number(row.id) - opts.keep}`;
  if (opts.trimBytes && opts.keepBytes !== undefined) {
    // newest first, a running total of what each row holds; the first row past the cap and all older go
    // (octet_length of a stored bytea reads its size without fetching it)
    await sql`
      DELETE FROM rejected WHERE id <= (
        SELECT id FROM (
          SELECT id, sum(octet_length(raw) + coalesce(octet_length(ack), 0)) OVER (ORDER BY id DESC) AS total FROM rejected) t
        WHERE total > ${opts.keepBytes} ORDER BY id DESC LIMIT 1)`;
  }
}

export interface RejectedListRow {
  id: string; source: string; received_at: Date; control_id: string | null; error_code: string; reason: string; bytes: number;
}

/**
 * The newest refused inputs first, older than `beforeId` when given (keyset paging), without their
 * bytes (only their length). Ordered by the qualified bigint column, as listInboxRows.
 */
export function listRejectedRows(sql: Sql, opts: { beforeId?: string; limit: number }): Promise<RejectedListRow[]> {
  return sql<RejectedListRow[]>`
    SELECT rejected.id::text AS id, source, received_at, control_id, error_code, reason, phi_plain_length(raw) AS bytes FROM rejected
    WHERE (${opts.beforeId ?? null}::bigint IS NULL OR rejected.id < ${opts.beforeId ?? null}::bigint)
    ORDER BY rejected.id DESC LIMIT ${opts.limit}`;
}

export interface RejectedDetailRow {
  id: string; source: string; received_at: Date; control_id: string | null; error_code: string; reason: string; raw: Buffer; ack: Buffer | null;
}

/** One refused input with its bytes and the ACK sent back. `id` must be digits. */
export async function getRejectedRow(sql: Sql, id: string): Promise<RejectedDetailRow | undefined> {
  const [r] = await sql<RejectedDetailRow[]>`
    SELECT id::text, source, received_at, control_id, error_code, reason, raw, ack FROM rejected WHERE id = ${id}`;
  return r && { ...r, raw: openBytes(r.raw, rejectedAad(r.id)) };
}
