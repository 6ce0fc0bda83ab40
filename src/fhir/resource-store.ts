// Storing FHIR resources: upsert by (resourceType, id) with versioning (FHIR R4 http.html#update,
// resource.html#Meta), search columns extracted on write, one statement per call.
import type { Resource } from 'fhir/r4.js';
import type postgres from 'postgres';
import type { Sql, TransactionSql } from '../store/index.js';
import { badRequest } from '../http/outcome.js';
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

export interface StoredResource {
  resourceType: string;
  id: string;
  versionId: number;
  lastUpdated: Date;
  resource: Resource;
}

interface Row {
  resource_type: string;
  id: string;
  subject: string | null;
  status: string | null;
  priority: string | null;
  recipients: string[];
  identifiers: string[];
  resource: Resource;
}

function toRow(resource: Resource): Row {
  if (typeof resource.resourceType !== 'string' || !/^[A-Z][A-Za-z]+$/.test(resource.resourceType)) {
    throw badRequest('Resource.resourceType is missing or invalid');
  }
  if (typeof resource.id !== 'string' || !FHIR_ID.test(resource.id)) {
    throw badRequest(`${resource.resourceType}.id is missing or not a valid FHIR id`);
  }
  return { resource_type: resource.resourceType, id: resource.id, ...extractSearchColumns(resource), resource };
}

/**
 * Upserts every resource in one INSERT ... ON CONFLICT. A changed resource becomes a new version:
 * version_id + 1, meta.versionId and meta.lastUpdated set in the stored JSON. Saving content identical
 * to the current version (ignoring meta.versionId/lastUpdated) is a no-op, so a replayed message does
 * not mint versions. When the same (type, id) appears twice in one call, the last one wins.
 */
export async function saveResources(sql: Queryable, resources: readonly Resource[], opts: SaveOptions = {}): Promise<void> {
  if (resources.length === 0) return;
  const byKey = new Map<string, Row>();
  for (const r of resources) {
    const row = toRow(r);
    byKey.set(`${row.resource_type}/${row.id}`, row);
  }
  const rows = [...byKey.values()];
  const now = (opts.now ?? new Date()).toISOString();
  const inboxId = opts.inboxId ?? null;
  // The rows travel as one jsonb parameter and are unpacked by jsonb_to_recordset: one round trip,
  // parameterised, and text[] columns of any length without per-row placeholders.
  await sql`
    INSERT INTO fhir_resource AS f
      (resource_type, id, version_id, last_updated, inbox_id, subject, status, priority, recipients, identifiers, resource)
    SELECT r.resource_type, r.id, 1, ${now}::timestamptz, ${inboxId}::bigint, r.subject, r.status, r.priority,
           ARRAY(SELECT jsonb_array_elements_text(r.recipients)),
           ARRAY(SELECT jsonb_array_elements_text(r.identifiers)),
           jsonb_set(r.resource, '{meta}',
             coalesce(r.resource -> 'meta', '{}'::jsonb) || jsonb_build_object('versionId', '1', 'lastUpdated', ${now}::text))
    FROM jsonb_to_recordset(${sql.json(rows as unknown as postgres.JSONValue)}) AS r(
      resource_type text, id text, subject text, status text, priority text,
      recipients jsonb, identifiers jsonb, resource jsonb)
    ON CONFLICT (resource_type, id) DO UPDATE SET
      version_id   = f.version_id + 1,
      last_updated = EXCLUDED.last_updated,
      inbox_id     = coalesce(EXCLUDED.inbox_id, f.inbox_id),
      subject      = EXCLUDED.subject,
      status       = EXCLUDED.status,
      priority     = EXCLUDED.priority,
      recipients   = EXCLUDED.recipients,
      identifiers  = EXCLUDED.identifiers,
      resource     = jsonb_set(EXCLUDED.resource, '{meta,versionId}', to_jsonb((f.version_id + 1)::text))
    WHERE (f.resource #- '{meta,versionId}' #- '{meta,lastUpdated}')
          IS DISTINCT FROM (EXCLUDED.resource #- '{meta,versionId}' #- '{meta,lastUpdated}')`;
}

interface StoredRow {
  resource_type: string;
  id: string;
  version_id: number;
  last_updated: Date;
  resource: Resource;
}

export const toStored = (r: StoredRow): StoredResource => ({
  resourceType: r.resource_type,
  id: r.id,
  versionId: r.version_id,
  lastUpdated: r.last_updated,
  resource: r.resource,
});

/** FHIR R4 http.html#read: the current version, or undefined. */
export async function readResource(sql: Queryable, type: string, id: string): Promise<StoredResource | undefined> {
  const rows = await sql<StoredRow[]>`
    SELECT resource_type, id, version_id, last_updated, resource
    FROM fhir_resource WHERE resource_type = ${type} AND id = ${id}`;
  const row = rows[0];
  return row ? toStored(row) : undefined;
}
