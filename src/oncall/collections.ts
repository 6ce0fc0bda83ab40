/**
 * The editable collections of a schedule document and pure edits of one item by id. Order is kept
 * (it matters: later overrides and earlier routing rules win), an upsert replaces in place or
 * appends. Validation of the result is the store's job (the whole document is re-validated).
 */
import { err, ok, type Result, type Schedule } from '../routing/index.js';
import { storeError, type ScheduleStoreError } from './errors.js';

export const COLLECTIONS = [
  'practitioners',
  'groups',
  'rotations',
  'roles',
  'overrides',
  'escalationPolicies',
  'services',
  'organizations',
  'routing.rules',
] as const;
export type Collection = (typeof COLLECTIONS)[number];

/** URL segment -> collection: `routing-rules` names `routing.rules`; the others are their own names. */
export const collectionFromSlug = (slug: string): Collection | undefined =>
  slug === 'routing-rules' ? 'routing.rules' : (COLLECTIONS as readonly string[]).includes(slug) && slug !== 'routing.rules' ? (slug as Collection) : undefined;

export const slugOf = (c: Collection): string => (c === 'routing.rules' ? 'routing-rules' : c);

type Item = Record<string, unknown>;

const isItem = (v: unknown): v is Item => typeof v === 'object' && v !== null && !Array.isArray(v);

const itemsOf = (doc: Schedule, c: Collection): readonly Item[] =>
  (c === 'routing.rules' ? (doc.routing?.rules ?? []) : doc[c]) as readonly Item[];

const withItems = (doc: Schedule, c: Collection, items: Item[]): Record<string, unknown> =>
  c === 'routing.rules' ? { ...doc, routing: { ...(doc.routing ?? {}), rules: items } } : { ...doc, [c]: items };

/** The item with that id, or undefined. */
export const findItem = (doc: Schedule, c: Collection, id: string): Item | undefined => itemsOf(doc, c).find((i) => i.id === id);

/**
 * Replace the item with `id` or append it. The item's `id` is set from the path when absent; a
 * different one is an error (a rename is a delete plus an upsert, so references are re-checked).
 * Returns the edited document as unvalidated data.
 */
export const upsertInDocument = (
  doc: Schedule,
  c: Collection,
  id: string,
  item: unknown,
): Result<{ document: Record<string, unknown>; created: boolean }, ScheduleStoreError> => {
  if (!isItem(item)) return err(storeError('ERR_SCHEDULE_INVALID', `${c} item must be a JSON object`, [{ path: c, message: 'expected an object' }]));
  if (item.id !== undefined && item.id !== id) {
    return err(storeError('ERR_SCHEDULE_INVALID', 'the item id does not match the id in the path', [{ path: `${c}.id`, message: 'must equal the id in the path' }]));
  }
  const next = { ...item, id };
  const items = [...itemsOf(doc, c)];
  const at = items.findIndex((i) => i.id === id);
  if (at >= 0) items[at] = next;
  else items.push(next);
  return ok({ document: withItems(doc, c, items), created: at < 0 });
};

/** Remove the item with `id`; ERR_ITEM_NOT_FOUND when there is none. */
export const deleteFromDocument = (doc: Schedule, c: Collection, id: string): Result<Record<string, unknown>, ScheduleStoreError> => {
  const items = itemsOf(doc, c);
  if (!items.some((i) => i.id === id)) return err(storeError('ERR_ITEM_NOT_FOUND', `no ${slugOf(c)} item with that id`));
  return ok(withItems(doc, c, items.filter((i) => i.id !== id)));
};
