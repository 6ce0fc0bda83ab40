/**
 * The SQL of the on-call schedule store (src/oncall/schedule-store.ts keeps the domain side:
 * validation, compiling, conflict errors, the FHIR view). One document per id in
 * `schedule_document`, with a version for optimistic concurrency; saves are announced on
 * SCHEDULE_CHANNEL. Transactions stay with the caller (`sql.begin`), which passes `tx` here, so a
 * lock, a write, its NOTIFY and the FHIR view commit or roll back together.
 */
import type postgres from 'postgres';
import type { Sql, TransactionSql } from './db.js';

type Queryable = Sql | TransactionSql;

/** LISTEN/NOTIFY channel; the payload is `<id>:<version>`. */
export const SCHEDULE_CHANNEL = 'switchboard_schedule';

/** A `schedule_document` row as stored; `document` is unvalidated JSON until the caller parses it. */
export interface ScheduleDocumentRow {
  id: string;
  version: number;
  document: unknown;
  updated_at: Date;
  updated_by: string | null;
}

export interface ScheduleDocumentWrite {
  readonly id: string;
  /** The validated schedule, as plain JSON. */
  readonly document: postgres.JSONValue;
  readonly now: Date;
  readonly by: string | null;
}

export interface ScheduleViewCleanup {
  /** The resource types the view is made of (only these are ever deleted). */
  readonly types: readonly string[];
  /** The meta.tag the store put on every view resource; its code is the document id. */
  readonly tag: { readonly system: string; readonly code: string };
  /** `Type/id` of the resources the new view has: these are kept (and then upserted). */
  readonly keep: readonly string[];
}

export async function readScheduleDocument(sql: Queryable, id: string): Promise<ScheduleDocumentRow | undefined> {
  const rows = await sql<ScheduleDocumentRow[]>`SELECT id, version, document, updated_at, updated_by FROM schedule_document WHERE id = ${id}`;
  return rows[0];
}

/** The stored version alone (one index lookup): how the service notices another writer. */
export async function readScheduleVersion(sql: Queryable, id: string): Promise<number | undefined> {
  const rows = await sql<{ version: number }[]>`SELECT version FROM schedule_document WHERE id = ${id}`;
  return rows[0]?.version;
}

/** The row, locked for this transaction (FOR UPDATE), so edits of one document are serialised. */
export async function lockScheduleDocument(tx: TransactionSql, id: string): Promise<ScheduleDocumentRow | undefined> {
  const rows = await tx<ScheduleDocumentRow[]>`SELECT id, version, document, updated_at, updated_by FROM schedule_document WHERE id = ${id} FOR UPDATE`;
  return rows[0];
}

/**
 * Creates the document at version 1. Undefined when another writer created it between the
 * caller's read and this insert (ON CONFLICT DO NOTHING): a conflict, never an overwrite.
 */
export async function insertScheduleDocument(tx: TransactionSql, w: ScheduleDocumentWrite): Promise<number | undefined> {
  const doc = tx.json(w.document);
  const rows = await tx<{ version: number }[]>`
        INSERT INTO schedule_document (id, version, document, updated_at, updated_by)
        VALUES (${w.id}, 1, ${doc}, ${w.now}, ${w.by})
        ON CONFLICT (id) DO NOTHING RETURNING version`;
  return rows[0]?.version;
}

/**
 * Replaces the document and bumps its version, only if it is still at `currentVersion`
 * (optimistic concurrency). Undefined when it is not: the caller reports a conflict.
 */
export async function updateScheduleDocument(tx: TransactionSql, w: ScheduleDocumentWrite, currentVersion: number): Promise<number | undefined> {
  const doc = tx.json(w.document);
  const rows = await tx<{ version: number }[]>`
        UPDATE schedule_document SET version = version + 1, document = ${doc}, updated_at = ${w.now}, updated_by = ${w.by}
        WHERE id = ${w.id} AND version = ${currentVersion} RETURNING version`;
  return rows[0]?.version;
}

/** NOTIFY inside the writing transaction: PostgreSQL delivers it only if the save commits. */
export async function notifyScheduleSaved(tx: TransactionSql, id: string, version: number): Promise<void> {
  await tx`SELECT pg_notify(${SCHEDULE_CHANNEL}, ${`${id}:${version}`})`;
}

/**
 * LISTEN for saves of document `id`. `onSaved` runs per notification for this id; `onListen` runs
 * on every (re)connect, when notifications sent while disconnected are lost and the caller must
 * re-check.
 */
export async function listenScheduleSaves(sql: Sql, id: string, onSaved: () => void, onListen: () => void): Promise<{ unlisten(): Promise<void> }> {
  const prefix = `${id}:`;
  return sql.listen(
    SCHEDULE_CHANNEL,
    (payload) => {
      if (payload.startsWith(prefix)) onSaved();
    },
    onListen,
  );
}

/** Deletes the view rows this store wrote for the tag's document that the new view no longer has. */
export async function deleteStaleScheduleView(tx: TransactionSql, v: ScheduleViewCleanup): Promise<void> {
  // the body is sealed (phi.ts): the tag is found by its search entry, '_tag|system|code' as
  // src/fhir/search-columns.ts's tokenKey writes it; a row stored before encryption by its clear jsonb
  const esc = (s: string) => s.replace(/[\\|]/g, (c) => `\\${c}`);
  const key = `_tag|${esc(v.tag.system)}|${esc(v.tag.code)}`;
  const tag = tx.json([{ system: v.tag.system, code: v.tag.code }]);
  await tx`
    DELETE FROM fhir_resource
    WHERE resource_type = ANY(${[...v.types]}::text[])
      AND (tokens @> ARRAY[${key}]::text[] OR resource -> 'meta' -> 'tag' @> ${tag})
      AND NOT (resource_type || '/' || id = ANY(${[...v.keep]}::text[]))`;
}
