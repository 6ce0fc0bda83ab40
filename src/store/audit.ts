// The SQL of the audit trail (tables audit_event, audit_chain_head; migration 011). Hashing is not
// here: src/audit chains the rows, this file locks the head, stores rows and reads them back in order.
import type postgres from 'postgres';
import type { Sql, TransactionSql } from './db.js';

type Queryable = Sql | TransactionSql;

export interface AuditRow {
  seq: string;
  at: Date;
  actor: string;
  actorKind: string;
  action: string;
  type: string;
  entityType: string | null;
  entityIds: string[];
  patient: string | null;
  outcome: string;
  outcomeCode: string | null;
  source: string | null;
  requestId: string | null;
  mac: string;
  prevHash: string;
  hash: string;
}

export interface AuditHead {
  seq: string;
  hash: string;
  /** the checkpoint a purge left: verification starts after this seq, from this hash */
  fromSeq: string;
  fromHash: string;
  purgedAt: Date | null;
}

const SELECT_ROW = `seq::text AS seq, at, actor, actor_kind AS "actorKind", action, type, entity_type AS "entityType", entity_ids AS "entityIds",
  patient, outcome, outcome_code AS "outcomeCode", source, request_id AS "requestId", mac, prev_hash AS "prevHash", hash`;

/** Records events in the caller's transaction, unsealed: one INSERT, no lock. */
/** LISTEN/NOTIFY channel told (on commit, no payload) that pending audit events wait for the sealer. */
export const AUDIT_PENDING_CHANNEL = 'switchboard_audit_pending';

/** Inserts pending events and NOTIFYs AUDIT_PENDING_CHANNEL in the same statement: delivered only if `tx` commits. */
export async function insertPendingAudit(tx: TransactionSql, events: readonly postgres.JSONValue[]): Promise<void> {
  if (events.length === 0) return;
  // one event (the common case) without the array function and its sort
  if (events.length === 1) await tx`WITH i AS (INSERT INTO audit_pending (event) VALUES (${tx.json(events[0]!)})) SELECT pg_notify(${AUDIT_PENDING_CHANNEL}, '')`;
  else await tx`WITH i AS (INSERT INTO audit_pending (event) SELECT e FROM jsonb_array_elements(${tx.json(events as postgres.JSONValue)}) WITH ORDINALITY AS x(e, n) ORDER BY n) SELECT pg_notify(${AUDIT_PENDING_CHANNEL}, '')`;
}

/** LISTEN for pending audit events; `onPending` also runs on every (re)connect, when notifications may have been lost. */
export async function listenAuditPending(sql: Sql, onPending: () => void): Promise<{ unlisten(): Promise<void> }> {
  return sql.listen(AUDIT_PENDING_CHANNEL, () => onPending(), () => onPending());
}

/** Takes up to `limit` pending events, oldest first (deleted; the caller's transaction seals them). */
export async function takePendingAudit(tx: TransactionSql, limit: number): Promise<unknown[]> {
  const rows = await tx<{ id: string; event: unknown }[]>`
    DELETE FROM audit_pending WHERE id IN (SELECT id FROM audit_pending ORDER BY id LIMIT ${limit}) RETURNING id::bigint AS id, event`;
  return rows.sort((a, b) => Number(BigInt(a.id) - BigInt(b.id))).map((r) => r.event);
}

export async function countPendingAudit(sql: Queryable): Promise<number> {
  const [r] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM audit_pending`;
  return r?.n ?? 0;
}

/** One sealer at a time across replicas: true when this transaction holds the seal lock now. */
export async function trySealLock(tx: TransactionSql): Promise<boolean> {
  // arbitrary but fixed, like the other advisory keys (migrate 7_343_281, digests 7_343_290)
  const [r] = await tx<{ ok: boolean }[]>`SELECT pg_try_advisory_xact_lock(7343312) AS ok`;
  return r?.ok === true;
}

/** Locks the chain head for the rest of the transaction and reads it (the sealer, and a purge). */
export async function lockAuditHead(tx: TransactionSql): Promise<{ seq: string; hash: string }> {
  const [head] = await tx<{ seq: string; hash: string }[]>`SELECT seq::text AS seq, hash FROM audit_chain_head FOR UPDATE`;
  if (!head) throw new Error('audit_chain_head is missing (migration 011)');
  return head;
}

/** Stores chained rows and moves the head to the last one: one statement. */
export async function insertAuditRows(tx: TransactionSql, rows: readonly AuditRow[]): Promise<void> {
  const last = rows.at(-1);
  if (!last) return;
  const json = rows.map((r) => ({ ...r, at: r.at.toISOString() }));
  await tx`
    WITH ins AS (
      INSERT INTO audit_event (seq, at, actor, actor_kind, action, type, entity_type, entity_ids, patient, outcome, outcome_code, source, request_id, mac, prev_hash, hash)
      SELECT e.seq, e.at, e.actor, e."actorKind", e.action, e.type, e."entityType",
             ARRAY(SELECT jsonb_array_elements_text(e."entityIds")), e.patient, e.outcome, e."outcomeCode", e.source, e."requestId", e.mac, e."prevHash", e.hash
      FROM jsonb_to_recordset(${tx.json(json as unknown as postgres.JSONValue)}) AS e(
        seq bigint, at timestamptz, actor text, "actorKind" text, action text, type text, "entityType" text, "entityIds" jsonb,
        patient text, outcome text, "outcomeCode" text, source text, "requestId" text, mac text, "prevHash" text, hash text)
      RETURNING 1)
    UPDATE audit_chain_head SET seq = ${last.seq}::bigint, hash = ${last.hash} WHERE (SELECT count(*) FROM ins) = ${rows.length}`;
}

export async function readAuditHead(sql: Queryable): Promise<AuditHead> {
  const [h] = await sql<AuditHead[]>`
    SELECT seq::text AS seq, hash, from_seq::text AS "fromSeq", from_hash AS "fromHash", purged_at AS "purgedAt" FROM audit_chain_head`;
  if (!h) throw new Error('audit_chain_head is missing (migration 011)');
  return h;
}

/** Rows in chain order after `afterSeq` (keyset paging). */
export function listAuditPage(sql: Queryable, afterSeq: string, limit: number): Promise<AuditRow[]> {
  return sql<AuditRow[]>`SELECT ${sql.unsafe(SELECT_ROW)} FROM audit_event WHERE seq > ${afterSeq}::bigint ORDER BY audit_event.seq LIMIT ${limit}`;
}

export interface AuditQuery {
  patient?: string;
  actor?: string;
  /** at >= since */
  since?: Date;
  /** at < until */
  until?: Date;
  /** seq < beforeSeq (newest first paging) */
  beforeSeq?: string;
  seq?: string;
  limit: number;
}

/** Newest first, filtered. */
export function searchAuditRows(sql: Queryable, q: AuditQuery): Promise<AuditRow[]> {
  return sql<AuditRow[]>`
    SELECT ${sql.unsafe(SELECT_ROW)} FROM audit_event
    WHERE true
      ${q.patient !== undefined ? sql`AND patient = ${q.patient}` : sql``}
      ${q.actor !== undefined ? sql`AND actor = ${q.actor}` : sql``}
      ${q.since !== undefined ? sql`AND at >= ${q.since}` : sql``}
      ${q.until !== undefined ? sql`AND at < ${q.until}` : sql``}
      ${q.beforeSeq !== undefined ? sql`AND seq < ${q.beforeSeq}::bigint` : sql``}
      ${q.seq !== undefined ? sql`AND seq = ${q.seq}::bigint` : sql``}
    ORDER BY audit_event.seq DESC LIMIT ${q.limit}`;
}

export async function countAuditRows(sql: Queryable, q: Omit<AuditQuery, 'limit' | 'beforeSeq'>): Promise<number> {
  const [r] = await sql<{ n: number }[]>`
    SELECT count(*)::int AS n FROM audit_event
    WHERE true
      ${q.patient !== undefined ? sql`AND patient = ${q.patient}` : sql``}
      ${q.actor !== undefined ? sql`AND actor = ${q.actor}` : sql``}
      ${q.since !== undefined ? sql`AND at >= ${q.since}` : sql``}
      ${q.until !== undefined ? sql`AND at < ${q.until}` : sql``}
      ${q.seq !== undefined ? sql`AND seq = ${q.seq}::bigint` : sql``}`;
  return r?.n ?? 0;
}

/**
 * Deletes the rows appended before `before`, up to the head, and leaves the checkpoint: the seq and
 * hash of the last row deleted, where verification starts from now on. Locks the head (so no append
 * runs meanwhile). Returns the checkpoint, or undefined when nothing was old enough.
 */
export async function purgeAuditRows(tx: TransactionSql, before: Date): Promise<{ seq: string; hash: string; count: number } | undefined> {
  await tx`SELECT 1 FROM audit_chain_head FOR UPDATE`;
  // rows are appended in time order per writer, not globally: cut at the last seq whose row and all
  // before it are old enough, so the kept part stays one unbroken chain
  const [cut] = await tx<{ seq: string | null }[]>`
    SELECT (min(seq) - 1)::text AS seq FROM audit_event WHERE at >= ${before}`;
  const [last] = cut?.seq != null
    ? await tx<{ seq: string; hash: string }[]>`SELECT seq::text AS seq, hash FROM audit_event WHERE seq = ${cut.seq}::bigint`
    : await tx<{ seq: string; hash: string }[]>`SELECT seq::text AS seq, hash FROM audit_event ORDER BY audit_event.seq DESC LIMIT 1`;
  if (!last) return undefined;
  const deleted = await tx`DELETE FROM audit_event WHERE seq <= ${last.seq}::bigint`;
  await tx`UPDATE audit_chain_head SET from_seq = ${last.seq}::bigint, from_hash = ${last.hash}, purged_at = now()`;
  return { seq: last.seq, hash: last.hash, count: deleted.count };
}
