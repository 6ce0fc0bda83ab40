/**
 * The stored on-call schedule: one validated document per id (the gateway uses `default`) in
 * `schedule_document`, with a version for optimistic concurrency. Every write is checked
 * (jobs/tasks.ts: schema, stored size, every reference resolves, the FHIR view built) before any
 * side effect — in a worker thread when the caller passes WorkerJobs — then, in one transaction,
 * bumps the version, NOTIFYs `switchboard_schedule` and replaces the FHIR view (schedule-view.ts)
 * in `fhir_resource`. Errors are returned as data. The SQL lives in src/store (schedules.ts); the
 * transactions are opened here, because what runs inside them is domain logic.
 */
import type postgres from 'postgres';
import type { Resource } from 'fhir/r4.js';
import { saveResources } from '../fhir/index.js';
import {
  deleteStaleScheduleView, insertScheduleDocument, lockScheduleDocument, notifyScheduleSaved, readScheduleDocument,
  readScheduleVersion, updateScheduleDocument, type ScheduleDocumentRow, type Sql, type TransactionSql,
} from '../store/index.js';
import { err, ok, parseSchedule, type Result, type Schedule } from '../routing/index.js';
import { storeError, StoredScheduleCorrupt, type ScheduleStoreError } from './errors.js';
import { InlineJobs, type ScheduleJobs } from './jobs/pool.js';
import type { Checked } from './jobs/tasks.js';
import { DEFAULT_SCHEDULE_LIMITS, type ScheduleLimits } from './limits.js';
import { SCHEDULE_VIEW_TAG, SCHEDULE_VIEW_TYPES } from './schedule-view.js';

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
  /** Where the check runs (default: this thread, InlineJobs). The gateway passes its WorkerJobs. */
  readonly jobs?: ScheduleJobs | undefined;
  /** Default DEFAULT_SCHEDULE_LIMITS. */
  readonly limits?: ScheduleLimits | undefined;
}

export interface Saved {
  readonly version: number;
  /** The document as stored. */
  readonly schedule: Schedule;
}

const inline = new InlineJobs();

/** The check every write passes (jobs/tasks.ts checkSchedule), where the options say. */
export const checkDocument = (data: unknown, opts: SaveOptions, text?: { readonly text: string; readonly filename: string }): Promise<Result<Checked, ScheduleStoreError>> =>
  (opts.jobs ?? inline).check({
    ...(text === undefined ? { document: data } : { source: text }),
    limits: opts.limits ?? DEFAULT_SCHEDULE_LIMITS,
    documentId: opts.id ?? DEFAULT_SCHEDULE_ID,
    nowMs: opts.now.getTime(),
    view: opts.fhirView !== false,
  });

const toStored = (row: ScheduleDocumentRow): StoredSchedule => {
  const parsed = parseSchedule(row.document, `schedule_document '${row.id}'`);
  if (!parsed.ok) throw new StoredScheduleCorrupt(row.id, parsed.error.issues);
  return { id: row.id, version: row.version, schedule: parsed.value, updatedAt: row.updated_at, updatedBy: row.updated_by };
};

/** The stored row as JSON, not yet validated (the service validates it in the jobs' thread). */
export async function loadScheduleDocument(sql: Queryable, id = DEFAULT_SCHEDULE_ID): Promise<{ version: number; document: unknown } | undefined> {
  const row = await readScheduleDocument(sql, id);
  return row === undefined ? undefined : { version: row.version, document: row.document };
}

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
export async function writeValidated(tx: TransactionSql, checked: Checked, current: number | undefined, opts: SaveOptions): Promise<Result<Saved, ScheduleStoreError>> {
  const id = opts.id ?? DEFAULT_SCHEDULE_ID;
  if (opts.expectedVersion !== undefined && opts.expectedVersion !== (current ?? 0)) return err(conflict(opts.expectedVersion, current));
  // Schedule is the zod output of parsed JSON/YAML (strings, numbers, arrays, objects): plain JSON, so the cast is sound
  const write = { id, document: checked.schedule as unknown as postgres.JSONValue, now: opts.now, by: opts.by };
  const version = current === undefined ? await insertScheduleDocument(tx, write) : await updateScheduleDocument(tx, write, current);
  // Another writer created the row between our read and our insert: a conflict, never an overwrite.
  if (version === undefined) return err(conflict(current ?? 0, undefined));
  await notifyScheduleSaved(tx, id, version);
  if (checked.view !== null) await replaceView(tx, checked.view, id, opts.now);
  return ok({ version, schedule: checked.schedule });
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
  return saveChecked(sql, await checkDocument(data, opts), opts);
}

/** Replaces the whole document with JSON/YAML text as received (`filename` says which), parsed in the jobs' thread. */
export async function saveScheduleText(sql: Sql, text: string, filename: string, opts: SaveOptions): Promise<Result<Saved, ScheduleStoreError>> {
  return saveChecked(sql, await checkDocument(undefined, opts, { text, filename }), opts);
}

async function saveChecked(sql: Sql, checked: Result<Checked, ScheduleStoreError>, opts: SaveOptions): Promise<Result<Saved, ScheduleStoreError>> {
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
 * published Slots never run out while nobody edits the schedule. The view is built first (in the
 * jobs' thread), then written only if the document is still at the version it was built from.
 * Returns false when none is stored (or it changed meanwhile: that save wrote its own view).
 */
export async function refreshScheduleView(sql: Sql, now: Date, id = DEFAULT_SCHEDULE_ID, jobs?: ScheduleJobs): Promise<boolean> {
  const stored = await loadSchedule(sql, id);
  if (!stored) return false;
  // the stored limits were met when it was saved; this only rebuilds its view
  const checked = await checkDocument(stored.schedule, { id, now, by: null, jobs, limits: { ...DEFAULT_SCHEDULE_LIMITS, maxBytes: Number.MAX_SAFE_INTEGER } });
  if (!checked.ok || checked.value.view === null) return false;
  const view = checked.value.view;
  return sql.begin(async (tx) => {
    const locked = await lockSchedule(tx, id);
    if (locked?.version !== stored.version) return false;
    await replaceView(tx, view, id, now);
    return true;
  });
}
