// The references the hot-path tables hold without foreign keys (migration 023): each row names a row
// written in the same transaction, and no parent is ever deleted. A flow test ends by counting the
// references that point nowhere; every count must be 0.
import type { Sql } from '../../src/store/index.js';

export async function danglingReferences(sql: Sql): Promise<Record<string, number>> {
  const [r] = await sql<Record<string, number>[]>`
    SELECT
      (SELECT count(*)::int FROM fhir_resource f WHERE f.inbox_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM inbox i WHERE i.id = f.inbox_id)) AS "fhir_resource.inbox_id",
      (SELECT count(*)::int FROM delivery_run d WHERE d.inbox_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM inbox i WHERE i.id = d.inbox_id)) AS "delivery_run.inbox_id",
      (SELECT count(*)::int FROM delivery_notification n WHERE NOT EXISTS (SELECT 1 FROM delivery_run d WHERE d.request_id = n.request_id)) AS "delivery_notification.request_id",
      (SELECT count(*)::int FROM delivery_attempt a WHERE a.notification_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM delivery_notification n WHERE n.id = a.notification_id)) AS "delivery_attempt.notification_id",
      (SELECT count(*)::int FROM delivery_attempt a WHERE a.digest_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM delivery_digest g WHERE g.id = a.digest_id)) AS "delivery_attempt.digest_id"`;
  return r!;
}

/** The rows each reference was checked on: a check over empty tables proves nothing. */
export async function referencingRows(sql: Sql): Promise<Record<string, number>> {
  const [r] = await sql<Record<string, number>[]>`
    SELECT (SELECT count(*)::int FROM fhir_resource WHERE inbox_id IS NOT NULL) AS resources,
           (SELECT count(*)::int FROM delivery_run WHERE inbox_id IS NOT NULL) AS runs,
           (SELECT count(*)::int FROM delivery_notification) AS notifications,
           (SELECT count(*)::int FROM delivery_attempt WHERE notification_id IS NOT NULL) AS "step attempts",
           (SELECT count(*)::int FROM delivery_attempt WHERE digest_id IS NOT NULL) AS "digest attempts"`;
  return r!;
}
