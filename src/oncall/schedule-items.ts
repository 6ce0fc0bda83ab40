/**
 * Editing one item of a stored schedule (a practitioner, a rotation, a routing rule...): the edit
 * is applied to the locked document, the WHOLE schedule is checked again (so deleting a
 * practitioner a rotation still names fails with the reference error naming it, and items cannot
 * grow the document past SCHEDULE_MAX_BYTES one by one), and saved with the version check — all
 * in one transaction.
 */
import type { Sql } from '../store/index.js';
import { err, type Result } from '../routing/index.js';
import { deleteFromDocument, upsertInDocument, type Collection } from './collections.js';
import { storeError, type ScheduleStoreError } from './errors.js';
import { checkDocument, DEFAULT_SCHEDULE_ID, lockSchedule, writeValidated, type Saved, type SaveOptions, type StoredSchedule } from './schedule-store.js';

export type EditOptions = SaveOptions;

type Edit = (stored: StoredSchedule) => Result<{ document: unknown; created: boolean }, ScheduleStoreError>;

async function edit(sql: Sql, opts: EditOptions, apply: Edit): Promise<Result<Saved & { created: boolean }, ScheduleStoreError>> {
  const id = opts.id ?? DEFAULT_SCHEDULE_ID;
  return (await sql.begin(async (tx) => {
    const stored = await lockSchedule(tx, id);
    if (stored === undefined) return err(storeError('ERR_SCHEDULE_NOT_FOUND', 'no on-call schedule is stored'));
    if (opts.expectedVersion !== undefined && opts.expectedVersion !== stored.version) {
      return err(storeError('ERR_SCHEDULE_CONFLICT', `schedule version is ${stored.version}, not ${opts.expectedVersion}: reload and apply the change again`));
    }
    const edited = apply(stored);
    if (!edited.ok) return edited;
    const checked = await checkDocument(edited.value.document, opts);
    if (!checked.ok) return checked;
    const saved = await writeValidated(tx, checked.value, stored.version, { ...opts, expectedVersion: stored.version });
    return saved.ok ? { ok: true, value: { ...saved.value, created: edited.value.created } } : saved;
  })) as Result<Saved & { created: boolean }, ScheduleStoreError>;
}

/** Adds the item, or replaces the one with the same `id` in place (order is meaningful). */
export async function upsertItem(sql: Sql, collection: Collection, item: unknown, opts: EditOptions): Promise<Result<Saved & { created: boolean }, ScheduleStoreError>> {
  const itemId = typeof item === 'object' && item !== null && !Array.isArray(item) ? (item as { id?: unknown }).id : undefined;
  if (typeof itemId !== 'string' || itemId === '') {
    return err(storeError('ERR_SCHEDULE_INVALID', `${collection} item needs an id`, [{ path: `${collection}.id`, message: 'required' }]));
  }
  return edit(sql, opts, (stored) => upsertInDocument(stored.schedule, collection, itemId, item));
}

/** Removes the item; ERR_ITEM_NOT_FOUND when absent, the reference error when something still names it. */
export async function deleteItem(sql: Sql, collection: Collection, itemId: string, opts: EditOptions): Promise<Result<Saved, ScheduleStoreError>> {
  return edit(sql, opts, (stored) => {
    const r = deleteFromDocument(stored.schedule, collection, itemId);
    return r.ok ? { ok: true, value: { document: r.value, created: false } } : r;
  });
}
