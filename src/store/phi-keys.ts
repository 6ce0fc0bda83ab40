// The SQL of PHI keys: which keys this database's values were sealed under (table phi_key, migration
// 015), how many values each key holds (`keys status`), and re-sealing values under the active key in
// small batches (`keys rotate`, and at start the conversion of values stored before encryption).
// Each batch is one transaction that locks its rows FOR UPDATE SKIP LOCKED, so any number of
// replicas and a `keys rotate` may run it at once, each on other rows, and a stopped pass resumes
// where the values still name an older key (the rows themselves are the progress).
import { PhiCryptoError, phiKeyring, type Keyring } from '../crypto/index.js';
import type { Sql } from './db.js';
import { identifierEntry, inboxAad, openBytes, openResource, rejectedAad, sealBytes, sealResource } from './phi.js';
import { rowsOf } from './pg-array.js';

/** The channel `keys rotate` NOTIFYs after adding a key: gateways reload their keyring. */
export const PHI_KEYS_CHANNEL = 'switchboard_phi_keys';

/** Tells every gateway to reload its keyring (a key was added and made active). */
export async function notifyPhiKeys(sql: Sql): Promise<void> {
  await sql`SELECT pg_notify(${PHI_KEYS_CHANNEL}, '')`;
}

/** Tables holding sealed values. */
export const PHI_TABLES = ['inbox', 'rejected', 'fhir_resource'] as const;
export type PhiTable = (typeof PHI_TABLES)[number];

/** Rows per re-sealing transaction: small, so claims and saves skipping the locked rows barely notice. */
export const RESEAL_BATCH = 200;

const undefinedTable = (e: unknown) => (e as { code?: string }).code === '42P01';

/** True when the database has keys registered (so a missing key file must not be replaced by a new one). */
export async function phiKeysRegistered(sql: Sql): Promise<boolean> {
  try {
    const [r] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM phi_key`;
    return (r?.n ?? 0) > 0;
  } catch (e) {
    if (undefinedTable(e)) return false; // not migrated yet (`map` opens without migrating)
    throw e;
  }
}

/**
 * Checks the keyring against the keys registered, then registers its new ones. Fails closed
 * (PhiCryptoError) when a key differs from the one registered under its id, when the search key
 * differs, or when a registered key still in use is missing from the keyring.
 */
export async function registerPhiKeys(sql: Sql, keyring: Keyring): Promise<void> {
  const fp = keyring.fingerprints();
  try {
    await sql`INSERT INTO phi_key (id, kind, key_check) SELECT 'search', 'search', ${fp.search} ON CONFLICT DO NOTHING`;
    for (const k of fp.keys) await sql`INSERT INTO phi_key (id, kind, key_check) VALUES (${k.id}, 'data', ${k.check}) ON CONFLICT DO NOTHING`;
  } catch (e) {
    if (undefinedTable(e)) return;
    throw e;
  }
  const rows = await sql<{ id: string; kind: string; key_check: string; retired_at: Date | null }[]>`SELECT id, kind, key_check, retired_at FROM phi_key`;
  for (const r of rows) {
    if (r.kind === 'search') {
      if (r.key_check !== fp.search) throw new PhiCryptoError('ERR_PHI_KEYS_MISMATCH', 'the search key differs from the one this database was indexed with');
      continue;
    }
    const mine = fp.keys.find((k) => k.id === r.id);
    if (mine && mine.check !== r.key_check) throw new PhiCryptoError('ERR_PHI_KEYS_MISMATCH', `data key ${r.id} differs from the key registered under that id`);
    if (!mine && r.retired_at === null) throw new PhiCryptoError('ERR_PHI_KEYS_MISSING', `data key ${r.id} is registered and not retired, but missing from the keyring`);
  }
}

export interface PhiKeyCount {
  table: PhiTable;
  /** null: values stored before encryption (clear) */
  keyId: string | null;
  values: number;
}

/** How many values each key holds, per table (a scan of each table: an operator's command, not a hot path). */
export async function countPhiValues(sql: Sql): Promise<PhiKeyCount[]> {
  const rows = await sql<{ t: PhiTable; k: string | null; n: number }[]>`
    SELECT 'inbox' AS t, phi_key_id(raw) AS k, count(*)::int AS n FROM inbox WHERE octet_length(raw) > 0 GROUP BY 2
    UNION ALL SELECT 'rejected', phi_key_id(raw), count(*)::int FROM rejected WHERE octet_length(raw) > 0 GROUP BY 2
    UNION ALL SELECT 'fhir_resource', phi_key_id(body), count(*)::int FROM fhir_resource GROUP BY 2
    ORDER BY 1, 2`;
  return rows.map((r) => ({ table: r.t, keyId: r.k, values: r.n }));
}

/** The registered data keys with their state. */
export async function listPhiKeys(sql: Sql): Promise<{ id: string; registeredAt: Date; retiredAt: Date | null }[]> {
  const rows = await sql<{ id: string; registered_at: Date; retired_at: Date | null }[]>`
    SELECT id, registered_at, retired_at FROM phi_key WHERE kind = 'data' ORDER BY registered_at, id`;
  return rows.map((r) => ({ id: r.id, registeredAt: r.registered_at, retiredAt: r.retired_at }));
}

/**
 * Marks retired every data key other than `active` that no value names any more; returns their ids.
 * Migration 020's phi_key_retire_unused (the schema owner's: the runtime role may not update phi_key)
 * looks for the values itself and refuses an `active` that is not a registered data key.
 */
export async function retireUnusedPhiKeys(sql: Sql, active: string): Promise<string[]> {
  const rows = await sql<{ id: string }[]>`SELECT k AS id FROM phi_key_retire_unused(${active}) AS k ORDER BY k`;
  return rows.map((r) => r.id);
}

/** A position in a table's key order: the id (text of a bigint) or 'type/id'. */
type Cursor = string | null;

/** Re-seals up to `limit` inbox values not under the active key, after `after`; returns how many and where it stopped. */
async function resealInbox(sql: Sql, active: string, after: Cursor, limit: number): Promise<{ done: number; last: Cursor }> {
  return sql.begin(async (tx) => {
    const rows = await tx<{ id: string; raw: Buffer; sender_app: string; sender_facility: string; control_id: string; content_hash: Buffer }[]>`
      SELECT inbox.id::text AS id, raw, sender_app, sender_facility, control_id, content_hash FROM inbox
      WHERE inbox.id > ${after ?? '0'}::bigint AND octet_length(raw) > 0 AND phi_key_id(raw) IS DISTINCT FROM ${active}
      ORDER BY inbox.id LIMIT ${limit} FOR UPDATE SKIP LOCKED`;
    if (rows.length === 0) return { done: 0, last: null };
    const r = rowsOf(tx, 'r', [
      { name: 'id', type: 'bigint', values: rows.map((x) => x.id) },
      { name: 'raw', type: 'bytea', values: rows.map((x) => sealBytes(openBytes(x.raw, inboxAad(x)), inboxAad(x))) },
    ]);
    await tx`UPDATE inbox SET raw = r.raw FROM ${r} WHERE inbox.id = r.id`;
    return { done: rows.length, last: rows[rows.length - 1]!.id };
  });
}

async function resealRejected(sql: Sql, active: string, after: Cursor, limit: number): Promise<{ done: number; last: Cursor }> {
  return sql.begin(async (tx) => {
    const rows = await tx<{ id: string; raw: Buffer }[]>`
      SELECT rejected.id::text AS id, raw FROM rejected
      WHERE rejected.id > ${after ?? '0'}::bigint AND octet_length(raw) > 0 AND phi_key_id(raw) IS DISTINCT FROM ${active}
      ORDER BY rejected.id LIMIT ${limit} FOR UPDATE SKIP LOCKED`;
    if (rows.length === 0) return { done: 0, last: null };
    const r = rowsOf(tx, 'r', [
      { name: 'id', type: 'bigint', values: rows.map((x) => x.id) },
      { name: 'raw', type: 'bytea', values: rows.map((x) => sealBytes(openBytes(x.raw, rejectedAad(x.id)), rejectedAad(x.id))) },
    ]);
    await tx`UPDATE rejected SET raw = r.raw FROM ${r} WHERE rejected.id = r.id`;
    return { done: rows.length, last: rows[rows.length - 1]!.id };
  });
}

async function resealResources(sql: Sql, active: string, after: Cursor, limit: number): Promise<{ done: number; last: Cursor }> {
  const [type, id] = after === null ? ['', ''] : [after.slice(0, after.indexOf('/')), after.slice(after.indexOf('/') + 1)];
  return sql.begin(async (tx) => {
    const rows = await tx<{ resource_type: string; id: string; version_id: number; last_updated: Date; body: Buffer | null; resource: unknown; identifiers: string[] }[]>`
      SELECT resource_type, id, version_id, last_updated, body, resource, identifiers FROM fhir_resource
      WHERE (resource_type, id) > (${type}, ${id}) AND (body IS NULL OR phi_key_id(body) IS DISTINCT FROM ${active})
      ORDER BY resource_type, id LIMIT ${limit} FOR UPDATE SKIP LOCKED`;
    if (rows.length === 0) return { done: 0, last: null };
    const sealed = rows.map((x) => sealResource(x.resource_type, x.id, openResource(x)));
    const r = rowsOf(tx, 'r', [
      { name: 'resource_type', type: 'text', values: rows.map((x) => x.resource_type) },
      { name: 'id', type: 'text', values: rows.map((x) => x.id) },
      { name: 'body', type: 'bytea', values: sealed.map((x) => x.body) },
      { name: 'mac', type: 'bytea', values: sealed.map((x) => x.digest) },
      // a row stored before encryption has clear 'system|value' identifiers: hashed with it (and its
      // search entries re-extracted at start: search_version 0)
      { name: 'legacy', type: 'boolean', values: rows.map((x) => x.body === null) },
      { name: 'identifiers', type: 'text[]', values: rows.map((x) => (x.body === null ? x.identifiers.map(identifierEntry) : x.identifiers)) },
    ]);
    await tx`UPDATE fhir_resource f SET body = r.body, content_digest = r.mac, resource = NULL, identifiers = r.identifiers,
               search_version = CASE WHEN r.legacy THEN 0 ELSE f.search_version END
             FROM ${r}
             WHERE f.resource_type = r.resource_type AND f.id = r.id`;
    const last = rows[rows.length - 1]!;
    return { done: rows.length, last: `${last.resource_type}/${last.id}` };
  });
}

const RESEAL = { inbox: resealInbox, rejected: resealRejected, fhir_resource: resealResources } as const;

export interface ResealProgress {
  table: PhiTable;
  /** values re-sealed in this table so far */
  done: number;
}

/**
 * One pass over every PHI table: each value not under the active key (an older key, or stored
 * before encryption) is opened and sealed again under it. Rows another process holds are skipped
 * (SKIP LOCKED) and left for the next pass; returns how many values this pass re-sealed.
 */
export async function resealPass(sql: Sql, opts: { batch?: number; onProgress?: (p: ResealProgress) => void } = {}): Promise<number> {
  const active = phiKeyring().activeId;
  let total = 0;
  for (const table of PHI_TABLES) {
    let after: Cursor = null;
    let done = 0;
    for (;;) {
      const r: { done: number; last: Cursor } = await RESEAL[table](sql, active, after, opts.batch ?? RESEAL_BATCH);
      if (r.done === 0) break;
      done += r.done;
      after = r.last;
      opts.onProgress?.({ table, done });
    }
    total += done;
  }
  return total;
}

/**
 * Passes until one finds no value left under another key than the active one (rows locked by
 * another process are taken in a later pass). Returns how many values were re-sealed.
 */
export async function resealAll(sql: Sql, opts: { batch?: number; onProgress?: (p: ResealProgress) => void } = {}): Promise<number> {
  let total = 0;
  for (;;) {
    const n = await resealPass(sql, opts);
    total += n;
    if (n === 0) return total;
  }
}

/**
 * Values stored before encryption (migration 015 found the tables not empty) are sealed under the
 * active key, once: the gateway runs it at start, before it serves; later starts find nothing pending.
 */
export async function encryptExisting(sql: Sql, opts: { batch?: number; onProgress?: (p: ResealProgress) => void } = {}): Promise<number> {
  const [state] = await sql<{ convert_pending: boolean }[]>`SELECT convert_pending FROM phi_state`;
  if (!state?.convert_pending) return 0;
  const n = await resealAll(sql, opts);
  await sql`UPDATE phi_state SET convert_pending = false`;
  return n;
}
