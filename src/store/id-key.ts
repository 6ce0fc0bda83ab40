// The SQL of resource-id keys: the installation's secret (table mapping_id_key, migration 006) and
// the one-time re-keying of resources stored under the unkeyed ids that came before it. What the
// ids are is src/mapping's (ids.ts); which old id becomes which new one, src/resource-ids.ts's.
import type postgres from 'postgres';
import type { Sql, TransactionSql } from './db.js';
import { identifierEntry, inboxAad, openBytes, openResource, sealResource } from './phi.js';
import { objectRows } from './pg-array.js';

/** The stored key differs from the one MAPPING_ID_KEY pins: ids would differ between replicas. */
export class IdKeyMismatchError extends Error {
  override readonly name = 'IdKeyMismatchError';
  readonly code = 'ERR_ID_KEY_MISMATCH';
  constructor() {
    super('MAPPING_ID_KEY differs from the id key this installation stored at its first start; unset it, or set it to the stored key');
  }
}

/**
 * The installation's id key. The first call stores one (`pinned`, else random from PostgreSQL) in the
 * same statement that reads it, so replicas starting together agree (the row lock serialises them);
 * later calls read it. With `pinned` set, a different stored key is an IdKeyMismatchError.
 */
export async function ensureIdKey(sql: Sql, pinned?: Uint8Array): Promise<Buffer> {
  const pin = pinned ? Buffer.from(pinned.buffer, pinned.byteOffset, pinned.byteLength) : null;
  // random: 32 bytes from two gen_random_uuid() (pg_strong_random; 122 random bits each, 244 in all)
  const [row] = await sql<{ id_key: Buffer }[]>`
    UPDATE mapping_id_key
       SET id_key = coalesce(id_key, ${pin}::bytea, decode(replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''), 'hex')),
           created_at = coalesce(created_at, now())
     RETURNING id_key`;
  if (!row) throw new Error('mapping_id_key has no row: run the migrations');
  if (pin && !pin.equals(row.id_key)) throw new IdKeyMismatchError();
  return row.id_key;
}

/** The stored id key without creating one (read-only tools): undefined before the first start or migration 006. */
export async function readIdKey(sql: Sql): Promise<Buffer | undefined> {
  const [exists] = await sql<{ t: string | null }[]>`SELECT to_regclass('mapping_id_key')::text AS t`;
  if (!exists?.t) return undefined;
  const [row] = await sql<{ id_key: Buffer | null }[]>`SELECT id_key FROM mapping_id_key`;
  return row?.id_key ?? undefined;
}

/** Whether resources stored under the unkeyed ids still wait to be re-keyed. */
export async function rekeyPending(sql: Sql): Promise<boolean> {
  const [row] = await sql<{ rekey_pending: boolean }[]>`SELECT rekey_pending FROM mapping_id_key`;
  return row?.rekey_pending ?? false;
}

/** A stored message to map again when re-keying. */
export interface RekeySource {
  id: string;
  /** 'mllp' | 'http' | 'calls' | 'fhir' (inbox.source) */
  source: string;
  raw: Buffer;
  receivedAt: Date;
}

/**
 * Inbox rows that may have stored resources (processed, or failed after mapping), after `afterId`
 * in id order, at most `limit`.
 */
export async function rekeySources(sql: Sql, afterId: string, limit: number): Promise<RekeySource[]> {
  const rows = await sql<{ id: string; source: string; raw: Buffer; received_at: Date; sender_app: string; sender_facility: string; control_id: string; content_hash: Buffer }[]>`
    SELECT inbox.id::text AS id, source, raw, received_at, sender_app, sender_facility, control_id, content_hash FROM inbox
     WHERE inbox.id > ${afterId}::bigint AND state IN ('processed', 'failed')
     ORDER BY inbox.id LIMIT ${limit}`;
  return rows.map((r) => ({ id: r.id, source: r.source, raw: openBytes(r.raw, inboxAad(r)), receivedAt: r.received_at }));
}

export interface RekeyCounts {
  /** fhir_resource rows read, and rewritten (a new id, or new ids in its references or identifiers). */
  resources: number;
  rewritten: number;
  /**
   * Rows whose new id another row also got (two messages' resources that the new keys see as one,
   * e.g. the Encounters of one visit without a visit number): the most recently updated is kept and
   * the others deleted; references to them now point to it.
   */
  merged: number;
  /** inbox routing records rewritten. */
  routing: number;
}

/** Rows read and written per round trip while re-keying. */
const REKEY_BATCH = 500;

/**
 * Resource ids other tables keep and derive their own ids from, so they must not change: the
 * CommunicationRequests delivery has started a run for (delivery_run.request_id, and the
 * notification and Communication ids hashed from it, src/delivery/ids.ts).
 */
export async function resourceIdsHeldElsewhere(sql: Sql): Promise<Set<string>> {
  const [exists] = await sql<{ t: string | null }[]>`SELECT to_regclass('delivery_run')::text AS t`;
  if (!exists?.t) return new Set();
  const rows = await sql<{ request_id: string }[]>`SELECT request_id FROM delivery_run`;
  return new Set(rows.map((r) => r.request_id));
}

/**
 * The one-time re-keying, in one transaction: every string of every stored resource (its subject,
 * recipients, identifiers and search tokens columns, its JSON) and of every inbox routing record goes through `rewrite`, and its id
 * through `rewriteId`; then the installation is marked re-keyed. Returns null when it already was
 * (another replica got there first: the key row is locked for the whole transaction).
 */
export async function rekeyStoredResources(sql: Sql, rewrite: (s: string) => string, rewriteId: (id: string) => string = rewrite): Promise<RekeyCounts | null> {
  return (await sql.begin(async (tx) => {
    const [state] = await tx<{ rekey_pending: boolean }[]>`SELECT rekey_pending FROM mapping_id_key FOR UPDATE`;
    if (!state?.rekey_pending) return null;
    const counts: RekeyCounts = { resources: 0, rewritten: 0, merged: 0, routing: 0 };
    await rewriteResources(tx, rewrite, rewriteId, counts);
    await rewriteRouting(tx, rewrite, counts);
    await tx`UPDATE mapping_id_key SET rekey_pending = false, rekeyed_at = now()`;
    return counts;
  })) as RekeyCounts | null;
}

interface ResourceRow {
  resource_type: string;
  id: string;
  last_updated: Date;
  subject: string | null;
  recipients: string[];
  identifiers: string[];
  tokens: string[];
  version_id: number;
  /** sealed rows (phi.ts): the body; the clear `resource` of a row stored before encryption otherwise */
  body: Buffer | null;
  resource: postgres.JSONValue | null;
}

/** A row of rekey_rows: a resource under its new id, with its rewritten columns. */
interface RekeyRow {
  resource_type: string; old_id: string; id: string; last_updated: string; subject: string | null;
  recipients: string[]; identifiers: string[]; tokens: string[];
  resource: postgres.JSONValue | null; body: Buffer | null; content_digest: Buffer | null;
}

/**
 * The rewritten rows are gathered in a temporary table first, so that rows meeting at one new id are
 * found in SQL (the newest kept) before any primary key changes; then one UPDATE moves them all.
 */
// Re-keying concerns resources stored before migration 006, normally stored before encryption too
// (it runs at start before encryptExisting seals them): their clear `resource` and 'system|value'
// identifiers are rewritten. A row already sealed (phi.ts) is opened, rewritten and sealed again under
// its new id; its identifiers are hashed anew from the rewritten resource and its search entries
// re-extracted at start (search_version 0), since hashed entries cannot be rewritten in place.
async function rewriteResources(tx: TransactionSql, rewrite: (s: string) => string, rewriteId: (id: string) => string, counts: RekeyCounts): Promise<void> {
  await tx`CREATE TEMPORARY TABLE rekey_rows (
    resource_type text, old_id text, id text, last_updated timestamptz, subject text, recipients text[], identifiers text[],
    tokens text[], resource jsonb, body bytea, content_digest bytea
  ) ON COMMIT DROP`;
  const cursor = tx<ResourceRow[]>`SELECT resource_type, id, last_updated, subject, recipients, identifiers, tokens, version_id, body, resource FROM fhir_resource`.cursor(REKEY_BATCH);
  for await (const rows of cursor) {
    const changed: RekeyRow[] = [];
    for (const r of rows) {
      counts.resources++;
      const current = (r.body === null ? r.resource : openResource({ ...r, body: r.body })) as postgres.JSONValue;
      const id = rewriteId(r.id);
      const resource = rewriteJson(current, rewrite);
      const sealed = r.body === null ? null : sealResource(r.resource_type, id, resource as never);
      const next: RekeyRow = {
        resource_type: r.resource_type, old_id: r.id, id, last_updated: r.last_updated.toISOString(),
        subject: r.subject === null ? null : rewrite(r.subject),
        recipients: r.recipients.map(rewrite),
        identifiers: sealed ? identifiersOf(resource).map(identifierEntry) : r.identifiers.map(rewrite),
        tokens: r.tokens.map(rewrite),
        resource: sealed ? null : resource,
        body: sealed ? sealed.body : null,
        content_digest: sealed ? sealed.digest : null,
      };
      const same = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);
      if (next.id !== r.id || next.subject !== r.subject || !same(next.recipients, r.recipients) || !same(next.identifiers, r.identifiers)
        || !same(next.tokens, r.tokens) || JSON.stringify(resource) !== JSON.stringify(current)) changed.push(next);
    }
    if (changed.length === 0) continue;
    await tx`
      INSERT INTO rekey_rows
      SELECT r.resource_type, r.old_id, r.id, r.last_updated, r.subject, r.recipients, r.identifiers, r.tokens, r.resource, r.body, r.content_digest
        FROM ${objectRows(tx, 'r', changed, {
          resource_type: 'text', old_id: 'text', id: 'text', last_updated: 'timestamptz', subject: 'text', recipients: 'text[]',
          identifiers: 'text[]', tokens: 'text[]', resource: 'jsonb', body: 'bytea', content_digest: 'bytea',
        })}`;
  }
  // rows that meet at one new id: all but the most recently updated go
  const losers = await tx`
    DELETE FROM rekey_rows r
     WHERE EXISTS (SELECT 1 FROM rekey_rows w
                    WHERE w.resource_type = r.resource_type AND w.id = r.id
                      AND (w.last_updated, w.old_id) > (r.last_updated, r.old_id))
    RETURNING r.resource_type, r.old_id`;
  if (losers.length) {
    const l = objectRows(tx, 'l', losers, { resource_type: 'text', old_id: 'text' });
    await tx`DELETE FROM fhir_resource f USING ${l} WHERE f.resource_type = l.resource_type AND f.id = l.old_id`;
  }
  counts.merged = losers.length;
  const moved = await tx`
    UPDATE fhir_resource AS f
       SET id = r.id, subject = r.subject, recipients = r.recipients, identifiers = r.identifiers, tokens = r.tokens, resource = r.resource,
           body = coalesce(r.body, f.body), content_digest = coalesce(r.content_digest, f.content_digest),
           search_version = CASE WHEN r.body IS NULL THEN f.search_version ELSE 0 END
      FROM rekey_rows r
     WHERE f.resource_type = r.resource_type AND f.id = r.old_id`;
  counts.rewritten = moved.count;
}

async function rewriteRouting(tx: TransactionSql, rewrite: (s: string) => string, counts: RekeyCounts): Promise<void> {
  const cursor = tx<{ id: string; routing: postgres.JSONValue }[]>`SELECT inbox.id::text AS id, routing FROM inbox WHERE routing IS NOT NULL`.cursor(REKEY_BATCH);
  for await (const rows of cursor) {
    const changed = rows.map((r) => ({ id: r.id, routing: rewriteJson(r.routing, rewrite) })).filter((r, i) => JSON.stringify(r.routing) !== JSON.stringify(rows[i]!.routing));
    if (changed.length === 0) continue;
    counts.routing += changed.length;
    const r = objectRows(tx, 'r', changed, { id: 'bigint', routing: 'jsonb' });
    await tx`UPDATE inbox SET routing = r.routing FROM ${r} WHERE inbox.id = r.id`;
  }
}

/** A JSON value with every string (not key) put through `rewrite`. */
/** A resource's identifier[] as clear 'system|value' entries, as src/fhir's extractor makes them. */
function identifiersOf(resource: postgres.JSONValue): string[] {
  const list = (resource as { identifier?: unknown }).identifier;
  if (!Array.isArray(list)) return [];
  const out = list.flatMap((i: { system?: unknown; value?: unknown }) =>
    (typeof i?.value === 'string' && i.value !== '' ? [`${typeof i.system === 'string' ? i.system : ''}|${i.value}`] : []));
  return [...new Set(out)];
}

function rewriteJson(v: postgres.JSONValue, rewrite: (s: string) => string): postgres.JSONValue {
  if (typeof v === 'string') return rewrite(v);
  if (Array.isArray(v)) return v.map((x) => rewriteJson(x, rewrite));
  if (v !== null && typeof v === 'object') {
    const out: Record<string, postgres.JSONValue> = {};
    for (const [k, x] of Object.entries(v)) out[k] = rewriteJson(x as postgres.JSONValue, rewrite);
    return out;
  }
  return v;
}
