// Storing FHIR resources: upsert by (resourceType, id) with versioning (FHIR R4 http.html#update,
// resource.html#Meta), search columns extracted on write, one statement per call. This is the FHIR
// side (validation, extraction); the SQL is src/store/fhir-resources.ts.
import type { Resource } from 'fhir/r4.js';
import { upsertResources, type FhirResourceWrite, type Sql, type TransactionSql } from '../store/index.js';
import { badRequest } from '../outcome/index.js';
import { FHIR_ID } from './resource-types.js';
import { extractSearchColumns } from './search-columns.js';

/** A connection or an open transaction: both run tagged templates. */
export type Queryable = Sql | TransactionSql;

export interface SaveOptions {
  /** The inbox message these resources came from (kept when an update does not name one). */
  inboxId?: string | null;
  /** The server's time of the write: meta.lastUpdated and last_updated (injected, never read here). */
  now?: Date;
}

function toRow(resource: Resource): FhirResourceWrite {
  if (typeof resource.resourceType !== 'string' || !/^[A-Z][A-Za-z]+$/.test(resource.resourceType)) {
    throw badRequest('Resource.resourceType is missing or invalid');
  }
  if (typeof resource.id !== 'string' || !FHIR_ID.test(resource.id)) {
    throw badRequest(`${resource.resourceType}.id is missing or not a valid FHIR id`);
  }
  return { resource_type: resource.resourceType, id: resource.id, ...extractSearchColumns(resource), resource };
}

/**
 * Upserts every resource in one statement (upsertResources). A changed resource becomes a new version:
 * version_id + 1, meta.versionId and meta.lastUpdated set in the stored JSON. Saving content identical
 * to the current version (ignoring meta.versionId/lastUpdated) is a no-op, so a replayed message does
 * not mint versions. When the same (type, id) appears twice in one call, the last one wins.
 */
export async function saveResources(sql: Queryable, resources: readonly Resource[], opts: SaveOptions = {}): Promise<void> {
  if (resources.length === 0) return;
  // Every resource is validated before anything is written; duplicates are collapsed here because one
  // INSERT ... ON CONFLICT cannot update the same row twice.
  const byKey = new Map<string, FhirResourceWrite>();
  for (const r of resources) {
    const row = toRow(r);
    byKey.set(`${row.resource_type}/${row.id}`, row);
  }
  await upsertResources(sql, [...byKey.values()], { now: opts.now ?? new Date(), inboxId: opts.inboxId ?? null });
}

/**
 * saveResources for several messages at once: each resource with its own inbox message, one
 * statement for all. The (type, id) pairs must be unique across the groups (the caller makes sure:
 * saveTransactionBundles puts messages that write the same resource in separate statements).
 */
export async function saveResourceGroups(sql: Queryable, groups: readonly { resources: readonly Resource[]; inboxId: string | null }[], opts: { now?: Date } = {}): Promise<void> {
  const byKey = new Map<string, FhirResourceWrite>();
  for (const g of groups) {
    for (const r of g.resources) {
      const row = { ...toRow(r), inbox_id: g.inboxId };
      byKey.set(`${row.resource_type}/${row.id}`, row);
    }
  }
  if (byKey.size === 0) return;
  await upsertResources(sql, [...byKey.values()], { now: opts.now ?? new Date(), inboxId: null });
}
