// The SQL of the audit trail (tables audit_pending, audit_event, audit_chain_head; migration 011).
// Hashing is not here: src/audit chains the rows, this file stores and reads them back in order. The
// runtime role may only add pending rows and read (src/store/roles.ts): sealing and the retention
// purge go through the owner's functions of migration 020.
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

/**
 * Reads up to `limit` pending events, oldest first, with their ids. Only the sealer (under the seal
 * lock) reads them to seal: sealPendingAudit removes exactly these rows as it appends their chain rows.
 */
export async function readPendingAudit(tx: TransactionSql, limit: number): Promise<{ id: string; event: unknown }[]> {
  return tx<{ id: string; event: unknown }[]>`SELECT id::text AS id, event FROM audit_pending ORDER BY audit_pending.id LIMIT ${limit}`;
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

/**
 * The sealer's one write (migration 020, audit_seal_pending, run as the schema's owner): deletes the
 * pending rows `ids` and appends the chained `rows` made from them (one per id), moving the head to
 * the last one. The database refuses rows that do not continue the chain from its head, a count that
 * differs from the pending rows found, or a call while another transaction holds the seal lock.
 */
export async function sealPendingAudit(tx: TransactionSql, ids: readonly string[], rows: readonly AuditRow[]): Promise<void> {
  if (rows.length === 0) return;
  const json = rows.map((r) => ({ ...r, at: r.at.toISOString() }));
  await tx`SELECT audit_seal_pending(${ids as string[]}::bigint[], ${tx.json(json as unknown as postgres.JSONValue)})`;
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
 * hash of the last row deleted, where verification starts from now on (migration 020, audit_purge, run
 * as the schema's owner: it locks the head, refuses a cut-off younger than 30 days and a call while
 * another transaction holds the retention lock). Returns the checkpoint, or undefined when nothing was old enough.
 */
export async function purgeAuditRows(tx: TransactionSql, before: Date): Promise<{ seq: string; hash: string; count: number } | undefined> {
  const [cp] = await tx<{ seq: string; hash: string; count: number }[]>`
    SELECT cp_seq::text AS seq, cp_hash AS hash, purged::int AS count FROM audit_purge(${before})`;
  return cp;
}
