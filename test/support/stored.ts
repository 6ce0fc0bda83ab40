// Reading what the store holds the way the store itself does: PHI columns are sealed at rest
// (src/store/phi.ts), so tests that look at rows directly open them through the same functions.
import type { Resource } from 'fhir/r4.js';
import type { Sql } from '../../src/store/db.js';
import { inboxAad, openBytes, openResource } from '../../src/store/phi.js';

export { identifierEntry } from '../../src/store/phi.js';

interface ResourceRow { resource_type: string; id: string; version_id: number; last_updated: Date; body: Buffer | null; resource: unknown }

/** Every stored resource of `type` (all types when omitted), opened, in id order. */
export async function storedResources<R extends Resource = Resource>(sql: Sql, type?: string): Promise<{ id: string; resource_type: string; resource: R }[]> {
  const rows = await sql<ResourceRow[]>`
    SELECT resource_type, id, version_id, last_updated, body, resource FROM fhir_resource
    WHERE ${type ?? null}::text IS NULL OR resource_type = ${type ?? null} ORDER BY resource_type, id`;
  return rows.map((r) => ({ id: r.id, resource_type: r.resource_type, resource: openResource(r) as R }));
}

/** An inbox row's raw bytes, opened (it must carry sender_app, sender_facility, control_id, content_hash). */
export function openInboxRaw(r: { raw: Buffer; sender_app: string; sender_facility: string; control_id: string; content_hash: Buffer }): Buffer {
  return openBytes(r.raw, inboxAad(r));
}
