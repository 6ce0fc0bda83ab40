/**
 * The stored on-call schedule: one validated document per id (the gateway uses `default`) in
 * `schedule_document`, with a version for optimistic concurrency. Every write validates
 * (parseSchedule) and compiles (compileSchedule: unknown references are refused) before any side
 * effect, then — in one transaction — bumps the version, NOTIFYs `switchboard_schedule` and
 * replaces the FHIR view (schedule-view.ts) in `fhir_resource`. Errors are returned as data.
 * The SQL lives in src/store (schedules.ts); the transactions are opened here, because what runs
 * inside them (validation, the FHIR view) is domain logic.
 */
import type postgres from 'postgres';
import type { Resource } from 'fhir/r4.js';
import { saveResources } from '../fhir/index.js';
import {
  deleteStaleScheduleView, insertScheduleDocument, lockScheduleDocument, notifyScheduleSaved, readScheduleDocument,
  readScheduleVersion, updateScheduleDocument, type ScheduleDocumentRow, type Sql, type TransactionSql,
} from '../store/index.js';
import { compileSchedule, err, ok, parseSchedule, type CompiledSchedule, type Result, type Schedule } from '../routing/index.js';
import { fromRoutingError, storeError, StoredScheduleCorrupt, type ScheduleStoreError } from './errors.js';
import { buildScheduleView, SCHEDULE_VIEW_TAG, SCHEDULE_VIEW_TYPES } from './schedule-view.js';

/** The id the gateway routes with. */
export const DEFAULT_SCHEDULE_ID = 'default';
// The channel belongs to the store (it writes the NOTIFY); re-exported as part of this folder's API.
export { SCHEDULE_CHANNEL } from '../store/index.js';

type Queryable = Sql | TransactionSql;

export interface StoredSchedule {
  readonly id: string;
  readonly version: number;
  readonly schedule: Schedule;
  readonly updatedAt: Date;
  readonly updatedBy: string | null;
}

export interface SaveOptions {
  /** Document id; default `default`. */
  readonly id?: string;
  /** The version the writer read (If-Match); 0 = "must not exist yet". Absent = last write wins. */
  readonly expectedVersion?: number | undefined;
  /** Who saved (`issuer|subject`, `cli`, `SCHEDULE_FILE`), kept with the row. */
  readonly by: string | null;
  /** The save time: updated_at, and the start of the FHIR view's horizon (injected, never read here). */
  readonly now: Date;
  /** Write the FHIR view (default true). */
  readonly fhirView?: boolean;
}

export interface Saved {
  readonly version: number;
  readonly compiled: CompiledSchedule;
}

/** parseSchedule + compileSchedule: the gate every write passes. */
export const validateSchedule = (data: unknown): Result<CompiledSchedule, ScheduleStoreError> => {
  const parsed = parseSchedule(data);
  if (!parsed.ok) return err(fromRoutingError(parsed.error));
  const compiled = compileSchedule(parsed.value);
  return compiled.ok ? ok(compiled.value) : err(fromRoutingError(compiled.error));
};

const toStored = (row: ScheduleDocumentRow): StoredSchedule => {
  const parsed = parseSchedule(row.document, `schedule_document '${row.id}'`);
  if (!parsed.ok) throw new StoredScheduleCorrupt(row.id, parsed.error.issues);
  return { id: row.id, version: row.version, schedule: parsed.value, updatedAt: row.updated_at, updatedBy: row.updated_by };
};

export async function loadSchedule(sql: Queryable, id = DEFAULT_SCHEDULE_ID): Promise<StoredSchedule | undefined> {
  const row = await readScheduleDocument(sql, id);
  return row === undefined ? undefined : toStored(row);
}

/** The stored version alone (one index lookup): how the service notices another writer. */
export async function storedVersion(sql: Queryable, id = DEFAULT_SCHEDULE_ID): Promise<number | undefined> {
  return readScheduleVersion(sql, id);
}

/** The row, locked for this transaction (FOR UPDATE), so edits of one document are serialised. */
export async function lockSchedule(tx: TransactionSql, id: string): Promise<StoredSchedule | undefined> {
  const row = await lockScheduleDocument(tx, id);
  return row === undefined ? undefined : toStored(row);
}

const conflict = (expected: number, actual: number | undefined): ScheduleStoreError =>
  storeError('ERR_SCHEDULE_CONFLICT', `schedule version is ${actual ?? 'none'}, not ${expected}: reload and apply the change again`);

/**
 * Writes an already validated schedule inside `tx`, given the version `current` locked by the
 * caller (undefined: no row yet). Checks `expectedVersion`, bumps the version, notifies, and
 * replaces the FHIR view.
 */
export async function writeValidated(tx: TransactionSql, compiled: CompiledSchedule, current: number | undefined, opts: SaveOptions): Promise<Result<Saved, ScheduleStoreError>> {
  const id = opts.id ?? DEFAULT_SCHEDULE_ID;
  if (opts.expectedVersion !== undefined && opts.expectedVersion !== (current ?? 0)) return err(conflict(opts.expectedVersion, current));
  // Schedule is the zod output of parsed JSON/YAML (strings, numbers, arrays, objects): plain JSON, so the cast is sound
  const write = { id, document: compiled.schedule as unknown as postgres.JSONValue, now: opts.now, by: opts.by };
  const version = current === undefined ? await insertScheduleDocument(tx, write) : await updateScheduleDocument(tx, write, current);
  // Another writer created the row between our read and our insert: a conflict, never an overwrite.
  if (version === undefined) return err(conflict(current ?? 0, undefined));
  await notifyScheduleSaved(tx, id, version);
  if (opts.fhirView !== false) await replaceView(tx, buildScheduleView(compiled, id, opts.now.getTime()), id, opts.now);
  return ok({ version, compiled });
}

/** Deletes the view rows this store wrote for `id` that the new view no longer has, then upserts the new view. */
async function replaceView(tx: TransactionSql, view: readonly Resource[], id: string, now: Date): Promise<void> {
  const keep = view.map((r) => `${r.resourceType}/${r.id ?? ''}`);
  await deleteStaleScheduleView(tx, { types: SCHEDULE_VIEW_TYPES, tag: { system: SCHEDULE_VIEW_TAG, code: id }, keep });
  await saveResources(tx, view, { now });
}

/**
 * Replaces the whole document. Validates and compiles first (nothing is written for an invalid
 * or unresolvable schedule), then saves with the version check.
 */
export async function saveSchedule(sql: Sql, data: unknown, opts: SaveOptions): Promise<Result<Saved, ScheduleStoreError>> {
  const checked = validateSchedule(data);
  if (!checked.ok) return checked;
  const id = opts.id ?? DEFAULT_SCHEDULE_ID;
  return (await sql.begin(async (tx) => {
    const current = await lockSchedule(tx, id);
    return writeValidated(tx, checked.value, current?.version, opts);
  })) as Result<Saved, ScheduleStoreError>;
}

/**
 * Rebuilds the FHIR view (Slots for the next SCHEDULE_VIEW_HORIZON_MS from `now`) from the stored
 * document without changing its version: the gateway runs it at start and every few hours, so the
 * published Slots never run out while nobody edits the schedule. Returns false when none is stored.
 */
export async function refreshScheduleView(sql: Sql, now: Date, id = DEFAULT_SCHEDULE_ID): Promise<boolean> {
  return sql.begin(async (tx) => {
    const stored = await lockSchedule(tx, id);
    if (!stored) return false;
    const compiled = validateSchedule(stored.schedule);
    if (!compiled.ok) return false;
    await replaceView(tx, buildScheduleView(compiled.value, id, now.getTime()), id, now);
    return true;
  });
}
