// The SQL of the FHIR resource store: table fhir_resource, one row per (resource_type, id) holding the
// current version and the search columns src/fhir extracts on write. src/fhir keeps the FHIR side
// (validating resources, extracting search columns, parsing search parameters, paging cursors,
// conditional-create rules); it hands this file typed rows and an already-validated search description.
// Transactions stay with the caller (`sql.begin`), which passes `tx` here, so a transaction Bundle's
// lookups and writes commit or roll back together with whatever the caller does in the same scope.
import type { Resource } from 'fhir/r4.js';
import type postgres from 'postgres';
import type { Sql, TransactionSql } from './db.js';
import { identifierEntry, identifierValueKey, openResource, sealResource } from './phi.js';
import { numberArrayLiteral, objectRows, textArrayLiteral, textListsLiteral } from './pg-array.js';

/** content_digest: HMAC-SHA256 (Keyring.digest). */
const DIGEST_BYTES = 32;

/** A connection or an open transaction: both run tagged templates. */
type Queryable = Sql | TransactionSql;
type Fragment = postgres.Fragment;

/** One fhir_resource row to write; the names are the columns (they travel as one array per column, see upsertResources). */
export interface FhirResourceWrite {
  resource_type: string;
  id: string;
  subject: string | null;
  status: string | null;
  priority: string | null;
  recipients: string[];
  /** 'system|value' strings ('|value' without a system) */
  identifiers: string[];
  /** the search entries src/fhir extracts (token and reference parameters), and the `date` range */
  tokens: string[]; date_start: string | null; date_end: string | null; search_version: number;
  resource: Resource;
  /** this row's inbox message, over UpsertResourcesOptions.inboxId (a batch of messages in one statement) */
  inbox_id?: string | null;
}

export interface UpsertResourcesOptions {
  /** The server's time of the write: last_updated and meta.lastUpdated. */
  now: Date;
  /** The inbox message the rows came from; null keeps the stored one on update. */
  inboxId: string | null;
}

/**
 * Upserts every row in one INSERT ... ON CONFLICT. A changed resource becomes a new version:
 * version_id + 1, meta.versionId and meta.lastUpdated set in the stored JSON. Content identical to the
 * current version (ignoring meta.versionId/lastUpdated) is left alone, so a replayed message does not
 * mint versions. The rows must be unique on (resource_type, id): ON CONFLICT cannot touch a row twice.
 */
export async function upsertResources(sql: Queryable, rows: readonly FhirResourceWrite[], opts: UpsertResourcesOptions): Promise<void> {
  if (rows.length === 0) return;
  // FHIR R4 datatypes.html#instant: meta.lastUpdated is the ISO text of the same instant as last_updated
  const now = opts.now.toISOString();
  // The rows travel as one array parameter per column, unnested together (pg-array.ts), and the
  // sealed bodies with their digests as one bytea parameter, cut by offset: one round trip,
  // parameterised, lists of any length as one element per row. Measured per row of the mapped ORU
  // mix (README "Pipeline"): the database spent ~20 µs parsing the rows as one jsonb document and
  // unpacking them (jsonb_to_recordset, a jsonb_array_elements_text subquery per list), ~25 µs
  // with every column an array literal, bodies included (a bytea[] parameter is hex text, twice
  // the bytes, and cost more still), ~10 µs with the bodies as one base64 text cut by offset. Now
  // that one parameter is bytes in binary format (patches/postgres+3.4.9.patch), neither encoded
  // here nor decoded there. The body is sealed and the identifiers hashed here (phi.ts);
  // an unchanged resource is found by its keyed digest.
  const n = rows.length;
  const types: string[] = new Array(n), ids: string[] = new Array(n), inboxIds: (string | null)[] = new Array(n);
  const subjects: (string | null)[] = new Array(n), statuses: (string | null)[] = new Array(n), priorities: (string | null)[] = new Array(n);
  const recipients: string[][] = new Array(n), identifiers: string[][] = new Array(n), tokens: string[][] = new Array(n);
  const starts: (string | null)[] = new Array(n), ends: (string | null)[] = new Array(n), versions: number[] = new Array(n);
  const sealed: Buffer[] = new Array(2 * n), offsets: number[] = new Array(n), lengths: number[] = new Array(n);
  let at = 1; // substring() counts from 1
  for (let i = 0; i < n; i++) {
    const r = rows[i]!;
    const { body, digest } = sealResource(r.resource_type, r.id, r.resource);
    // the server cuts each digest at a fixed length: a digest of another length would shift every row after it
    if (digest.length !== DIGEST_BYTES) throw new Error(`content digest of ${digest.length} bytes, expected ${DIGEST_BYTES}`);
    types[i] = r.resource_type; ids[i] = r.id; inboxIds[i] = r.inbox_id ?? null;
    subjects[i] = r.subject; statuses[i] = r.status; priorities[i] = r.priority;
    recipients[i] = r.recipients; identifiers[i] = r.identifiers.map(identifierEntry); tokens[i] = r.tokens;
    starts[i] = r.date_start; ends[i] = r.date_end; versions[i] = r.search_version;
    sealed[2 * i] = body; sealed[2 * i + 1] = digest; offsets[i] = at; lengths[i] = body.length;
    at += body.length + DIGEST_BYTES;
  }
  await sql`
    WITH sealed AS MATERIALIZED (SELECT ${Buffer.concat(sealed)}::bytea AS b)
    INSERT INTO fhir_resource AS f
      (resource_type, id, version_id, last_updated, inbox_id, subject, status, priority, recipients, identifiers,
       tokens, date_start, date_end, search_version, body, content_digest)
    SELECT r.resource_type, r.id, 1, ${now}::timestamptz, coalesce(r.inbox_id, ${opts.inboxId}::bigint), r.subject, r.status, r.priority,
           r.recipients::text[], r.identifiers::text[], r.tokens::text[], r.date_start, r.date_end, r.search_version,
           substring(s.b FROM r.at FOR r.len), substring(s.b FROM r.at + r.len FOR ${DIGEST_BYTES})
    FROM sealed s, unnest(${textArrayLiteral(types)}::text[], ${textArrayLiteral(ids)}::text[], ${textArrayLiteral(inboxIds)}::bigint[],
                ${textArrayLiteral(subjects)}::text[], ${textArrayLiteral(statuses)}::text[], ${textArrayLiteral(priorities)}::text[],
                ${textListsLiteral(recipients)}::text[], ${textListsLiteral(identifiers)}::text[], ${textListsLiteral(tokens)}::text[],
                ${textArrayLiteral(starts)}::timestamptz[], ${textArrayLiteral(ends)}::timestamptz[], ${numberArrayLiteral(versions)}::smallint[],
                ${numberArrayLiteral(offsets)}::int[], ${numberArrayLiteral(lengths)}::int[])
      AS r(resource_type, id, inbox_id, subject, status, priority, recipients, identifiers, tokens,
           date_start, date_end, search_version, at, len)
    ON CONFLICT (resource_type, id) DO UPDATE SET
      version_id   = f.version_id + 1,
      last_updated = EXCLUDED.last_updated,
      inbox_id     = coalesce(EXCLUDED.inbox_id, f.inbox_id),
      subject      = EXCLUDED.subject,
      status       = EXCLUDED.status,
      priority     = EXCLUDED.priority,
      recipients   = EXCLUDED.recipients,
      identifiers  = EXCLUDED.identifiers,
      tokens = EXCLUDED.tokens, date_start = EXCLUDED.date_start, date_end = EXCLUDED.date_end, search_version = EXCLUDED.search_version,
      body = EXCLUDED.body, content_digest = EXCLUDED.content_digest, resource = NULL
    WHERE f.content_digest IS DISTINCT FROM EXCLUDED.content_digest`;
}

export interface StoredResource {
  resourceType: string;
  id: string;
  versionId: number;
  lastUpdated: Date;
  resource: Resource;
}

interface StoredRow {
  resource_type: string;
  id: string;
  version_id: number;
  last_updated: Date;
  /** the sealed body; null only for a row stored before encryption, whose clear `resource` is read instead */
  body: Buffer | null;
  resource: unknown;
}

const toStored = (r: StoredRow): StoredResource => ({
  resourceType: r.resource_type,
  id: r.id,
  versionId: r.version_id,
  lastUpdated: r.last_updated,
  resource: openResource(r),
});

/** FHIR R4 http.html#read: the current version, or undefined (also when, with `organization`, it is not of that organisation's messages). */
export async function readResource(sql: Queryable, type: string, id: string, organization?: string): Promise<StoredResource | undefined> {
  const org = organization === undefined ? sql`` : sql`AND ${ofOrganization(sql, type, organization, 'row')}`;
  const rows = await sql<StoredRow[]>`
    SELECT resource_type, id, version_id, last_updated, body, resource
    FROM fhir_resource WHERE resource_type = ${type} AND id = ${id} ${org}`;
  const row = rows[0];
  return row ? toStored(row) : undefined;
}

/** A conditional create/update condition on one identifier (FHIR R4 http.html#ccreate). */
export interface IdentifierCondition {
  type: string;
  /** 'exact': `key` is 'system|value'; 'value': `key` is a value under any system */
  kind: 'exact' | 'value';
  key: string;
}

export interface IdentifierMatch {
  /** index of the condition in the list given */
  condition: number;
  id: string;
  lastUpdated: Date;
  /** the stored content's digest (resourceDigest); null for a row written before digests */
  digest: string | null;
}

/**
 * Takes a transaction-scoped advisory lock per condition, held until the caller's transaction ends.
 * Serialises concurrent transactions creating the same identifier, or both would miss and both insert.
 * The key is the value part only, so `system|v` and `v` of the same type contend for one lock; keys are
 * taken in sorted order so two transactions never wait on each other's locks.
 */
export async function lockResourceIdentifiers(tx: TransactionSql, conditions: readonly IdentifierCondition[]): Promise<void> {
  if (conditions.length === 0) return;
  const lockKeys = [...new Set(conditions.map((c) => `${c.type}|${c.kind === 'exact' ? c.key.slice(c.key.indexOf('|') + 1) : c.key}`))].sort();
  await tx`SELECT pg_advisory_xact_lock(hashtextextended(k, 0)) FROM (SELECT unnest(${lockKeys}::text[]) AS k ORDER BY 1) s`;
}

/**
 * Every stored resource matching each condition, ordered by condition then id (one condition may match
 * several: the caller decides what that means). Call lockResourceIdentifiers first in the same transaction.
 */
export async function findResourcesByIdentifier(tx: TransactionSql, conditions: readonly IdentifierCondition[]): Promise<IdentifierMatch[]> {
  if (conditions.length === 0) return [];
  // the stored identifiers are keyed hashes (phi.ts): the conditions are hashed the same way
  const keys = conditions.map((c) => (c.kind === 'exact' ? identifierEntry(c.key) : identifierValueKey(c.key)));
  // One statement for every condition; per condition a LATERAL probe of a GIN index: `identifiers`
  // for 'system|value', the expression index on fhir_identifier_values for a value under any system
  // (migration 010). The kind is a constant per probe, so only one of the two branches runs.
  // `resource_type || ''`: the type is checked on the row found, not ANDed in from the
  // (resource_type, last_updated) index, whose every entry of the type the probe would read.
  const rows = await tx<{ ord: string; id: string; last_updated: Date; digest: string | null }[]>`
    SELECT c.ord::text AS ord, m.id, m.last_updated, encode(m.content_digest, 'hex') AS digest
    FROM unnest(${conditions.map((c) => c.type)}::text[], ${conditions.map((c) => c.kind)}::text[],
                ${keys}::text[])
         WITH ORDINALITY AS c(type, kind, key, ord)
    CROSS JOIN LATERAL (
      SELECT f.id, f.last_updated, f.content_digest FROM fhir_resource f
      WHERE c.kind = 'exact' AND f.resource_type || '' = c.type AND f.identifiers @> ARRAY[c.key]
      UNION ALL
      SELECT f.id, f.last_updated, f.content_digest FROM fhir_resource f
      WHERE c.kind = 'value' AND f.resource_type || '' = c.type AND fhir_identifier_values(f.identifiers) @> ARRAY[c.key]) m
    ORDER BY c.ord, m.id`;
  // WITH ORDINALITY counts from 1
  return rows.map((r) => ({ condition: Number(r.ord) - 1, id: r.id, lastUpdated: r.last_updated, digest: r.digest }));
}

/**
 * One test on a column; a list of them is ORed. The stored forms are those src/fhir extracts: `tokens`
 * holds 'param|system|code', 'param#c|code', 'param#s|system' and 'param>Type/id' entries; the `date`
 * parameter's range is [date_start, date_end).
 */
export type ResourceMatch =
  /** id = ANY(values) (the primary key) */
  | { op: 'in'; column: 'id'; values: readonly string[] }
  /** tokens && values (the GIN index fhir_resource_tokens) */
  | { op: 'tokens'; values: readonly string[] }
  /** a timestamp column against an ISO instant (microsecond precision), or ±infinity */
  | { op: 'cmp'; column: 'last_updated' | 'date_start' | 'date_end'; cmp: '>=' | '>' | '<' | '<='; value: string }
  | { op: 'and'; all: readonly ResourceMatch[] }
  | { op: 'or'; any: readonly ResourceMatch[] };

/** Its matches are ORed; an empty list matches nothing. */
export interface ResourceCondition {
  anyOf: readonly ResourceMatch[];
}

/** A position in (last_updated, id) order: last_updated as ISO text with microseconds. */
export interface ResourceKey {
  lastUpdated: string;
  id: string;
}

export interface ResourceSearch {
  type: string;
  /** ANDed */
  conditions: readonly ResourceCondition[];
  /** on (last_updated, id) */
  sort: 'asc' | 'desc';
  /** keyset paging: only rows strictly after this position in `sort` order */
  after?: ResourceKey;
  /** page size (at least 1) */
  count: number;
  /** the total only, no rows */
  countOnly: boolean;
  /** only resources of this organisation's messages (ofOrganization) */
  organization?: string | undefined;
}

export interface ResourcePage {
  /** at most `count`, in `sort` order; empty when countOnly */
  resources: StoredResource[];
  /** every match, ignoring paging */
  total: number;
  /** the position of the page's last row, present only when more rows follow it */
  next?: ResourceKey;
}

function cmpSql(sql: Queryable, column: 'last_updated' | 'date_start' | 'date_end', cmp: '>=' | '>' | '<' | '<=', value: string): Fragment {
  // Literal SQL text per column and operator: nothing of the query's shape is built from data.
  const v = sql`${value}::timestamptz`;
  const col = column === 'last_updated' ? sql`last_updated` : column === 'date_start' ? sql`date_start` : sql`date_end`;
  if (cmp === '>=') return sql`${col} >= ${v}`;
  if (cmp === '>') return sql`${col} > ${v}`;
  if (cmp === '<') return sql`${col} < ${v}`;
  return sql`${col} <= ${v}`;
}

function joined(sql: Queryable, parts: readonly Fragment[], op: 'AND' | 'OR', empty: Fragment): Fragment {
  const [first, ...rest] = parts;
  if (!first) return empty;
  if (rest.length === 0) return first;
  return sql`(${rest.reduce((acc, p) => (op === 'AND' ? sql`${acc} AND ${p}` : sql`${acc} OR ${p}`), first)})`;
}

function matchSql(sql: Queryable, m: ResourceMatch): Fragment {
  switch (m.op) {
    case 'in':
      return sql`id = ANY(${m.values}::text[])`;
    case 'tokens':
      return sql`tokens && ${m.values}::text[]`;
    case 'cmp':
      return cmpSql(sql, m.column, m.cmp, m.value);
    case 'and':
      return joined(sql, m.all.map((x) => matchSql(sql, x)), 'AND', sql`TRUE`);
    case 'or':
      return joined(sql, m.any.map((x) => matchSql(sql, x)), 'OR', sql`FALSE`);
  }
}

function conditionSql(sql: Queryable, c: ResourceCondition): Fragment {
  return joined(sql, c.anyOf.map((m) => matchSql(sql, m)), 'OR', sql`FALSE`); // an OR of nothing matches nothing
}

function whereSql(sql: Queryable, s: ResourceSearch): Fragment {
  const where = s.conditions.reduce((acc, c) => sql`${acc} AND ${conditionSql(sql, c)}`, sql`resource_type = ${s.type}` as Fragment);
  return s.organization === undefined ? where : sql`${where} AND ${ofOrganization(sql, s.type, s.organization, 'set')}`;
}

/** The mapped types whose `subject` names their patient (a Patient is shared by the organisations that sent them). */
const PATIENT_DATA_TYPES = ['CommunicationRequest', 'Observation', 'DiagnosticReport', 'Encounter', 'ServiceRequest', 'Specimen'];

/**
 * A resource of `type` of one organisation's messages (migration 018): its inbox message is of that
 * organisation. A Communication written by delivery (no message of its own) is its CommunicationRequest's
 * (basedOn); a Patient is also every organisation's that sent a message about them (a resource of
 * theirs has the patient as subject). A resource traced to no message is no organisation's.
 * `row` (a read by id): correlated index probes for the one row. `set` (a search): uncorrelated
 * subqueries, each hashed once — an OR of correlated ones is costed so high that PostgreSQL
 * JIT-compiles it (0.4 s per search over 20,000 rows).
 */
function ofOrganization(sql: Queryable, type: string, organization: string, shape: 'row' | 'set'): Fragment {
  const own = sql`EXISTS (SELECT 1 FROM inbox i WHERE i.id = fhir_resource.inbox_id AND i.organization = ${organization})`;
  const ownSet = sql`fhir_resource.inbox_id IN (SELECT i.id FROM inbox i WHERE i.organization = ${organization})`;
  if (type === 'Communication') {
    // the request it is based on, read from its `based-on` search entries ('based-on>CommunicationRequest/<id>',
    // search-columns.ts): the body is sealed (phi.ts), so SQL cannot read basedOn from it
    const prefix = 'based-on>CommunicationRequest/';
    if (shape === 'row') {
      return sql`(${own} OR (fhir_resource.inbox_id IS NULL AND EXISTS (
        SELECT 1 FROM unnest(fhir_resource.tokens) t
        JOIN fhir_resource cr ON cr.resource_type = 'CommunicationRequest' AND cr.id = substr(t, ${prefix.length + 1})
        JOIN inbox i ON i.id = cr.inbox_id
        WHERE t LIKE ${`${prefix}%`} AND i.organization = ${organization})))`;
    }
    return sql`(${ownSet} OR (fhir_resource.inbox_id IS NULL AND fhir_resource.tokens && ARRAY(
      SELECT ${prefix} || cr.id FROM fhir_resource cr JOIN inbox i ON i.id = cr.inbox_id
      WHERE cr.resource_type = 'CommunicationRequest' AND i.organization = ${organization})))`;
  }
  if (type === 'Patient') {
    const about = sql`SELECT substr(o.subject, 9) FROM fhir_resource o JOIN inbox i ON i.id = o.inbox_id
      WHERE o.resource_type = ANY(${PATIENT_DATA_TYPES}::text[]) AND o.subject LIKE 'Patient/%' AND i.organization = ${organization}`;
    if (shape === 'row') {
      return sql`(${own} OR EXISTS (
        SELECT 1 FROM fhir_resource o JOIN inbox i ON i.id = o.inbox_id
        WHERE o.resource_type = ANY(${PATIENT_DATA_TYPES}::text[]) AND o.subject = 'Patient/' || fhir_resource.id AND i.organization = ${organization}))`;
    }
    return sql`(${ownSet} OR fhir_resource.id IN (${about}))`;
  }
  return own;
}

function keysetSql(sql: Queryable, sort: ResourceSearch['sort'], after: ResourceKey | undefined): Fragment {
  if (!after) return sql`TRUE`;
  // Row comparison (last_updated, id) matches the ORDER BY exactly, ties on last_updated included.
  return sort === 'desc'
    ? sql`(last_updated, id) < (${after.lastUpdated}::timestamptz, ${after.id})`
    : sql`(last_updated, id) > (${after.lastUpdated}::timestamptz, ${after.id})`;
}

interface PageRow {
  resource_type: string;
  id: string;
  version_id: number;
  last_updated: Date;
  /** last_updated with microseconds: a JS Date would round it and the keyset would skip or repeat */
  lu: string;
  body: Buffer | null;
  resource: unknown;
}

/**
 * Keyset-paged on (last_updated, id), which the fhir_resource_updated index serves; one row more than
 * the page is read to know whether another page follows. The total is an exact second count.
 */
function pageSql(sql: Queryable, s: ResourceSearch, where: Fragment): Fragment {
  const order = s.sort === 'desc' ? sql`ORDER BY last_updated DESC, id DESC` : sql`ORDER BY last_updated ASC, id ASC`;
  return sql`
    SELECT resource_type, id, version_id, last_updated, body, resource,
           to_char(last_updated AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS lu
    FROM fhir_resource
    WHERE ${where} AND ${keysetSql(sql, s.sort, s.after)}
    ${order}
    LIMIT ${s.count + 1}`;
}

export async function searchResources(sql: Queryable, s: ResourceSearch): Promise<ResourcePage> {
  const where = whereSql(sql, s);
  const countRows = sql<{ total: number }[]>`SELECT count(*)::int AS total FROM fhir_resource WHERE ${where}`;
  if (s.countOnly) return { resources: [], total: (await countRows)[0]?.total ?? 0 };
  const pageRows = sql<PageRow[]>`${pageSql(sql, s, where)}`;
  const [counted, rows] = await Promise.all([countRows, pageRows]);
  const page = rows.slice(0, s.count);
  const last = page[page.length - 1];
  const result: ResourcePage = {
    resources: page.map(toStored),
    total: counted[0]?.total ?? 0,
  };
  if (rows.length > s.count && last) result.next = { lastUpdated: last.lu, id: last.id };
  return result;
}

/** The plans PostgreSQL picks for a search's count and page statements (EXPLAIN), to check that an index serves them. */
export async function explainResourceSearch(sql: Queryable, s: ResourceSearch): Promise<{ count: string; page: string }> {
  const where = whereSql(sql, s);
  const text = (rows: Record<string, string>[]) => rows.map((r) => r['QUERY PLAN']).join('\n');
  const count = text(await sql<Record<string, string>[]>`EXPLAIN SELECT count(*)::int AS total FROM fhir_resource WHERE ${where}`);
  const page = text(await sql<Record<string, string>[]>`EXPLAIN ${pageSql(sql, s, where)}`);
  return { count, page };
}

/** A stored row whose search columns an older extractor wrote. */
export interface StaleSearchRow {
  resource_type: string;
  id: string;
  version_id: number;
  resource: Resource;
}

/**
 * Up to `limit` rows with search_version below `version`, after `from` in primary-key order: walking
 * the key makes a full re-extraction one pass over the table, however many batches it takes. The
 * rows are read through the partial index fhir_resource_search_stale (migration 025, `search_version
 * < N`), empty once the store is current, instead of the primary key of every stored resource. The
 * bound is written into the statement as a literal, not bound as a parameter, so that every plan of
 * it can use that index: a generic plan of the driver's prepared statement cannot prove `< $3`
 * implies the index's predicate.
 */
export async function listStaleSearchRows(sql: Queryable, version: number, from: { type: string; id: string } | null, limit: number): Promise<StaleSearchRow[]> {
  if (!Number.isInteger(version) || version < 0 || version > 32767) throw new Error(`search columns version ${version} is not a smallint`);
  const rows = await sql<StoredRow[]>`
    SELECT resource_type, id, version_id, last_updated, body, resource FROM fhir_resource
    WHERE (resource_type, id) > (${from?.type ?? ''}, ${from?.id ?? ''}) AND search_version < ${sql.unsafe(String(version))}
    ORDER BY resource_type, id LIMIT ${limit}`;
  return rows.map((r) => ({ resource_type: r.resource_type, id: r.id, version_id: r.version_id, resource: openResource(r) }));
}

/** New search columns for stored rows; a row whose version changed since it was read is left to its writer. */
export type SearchColumnsUpdate = Omit<FhirResourceWrite, 'resource'> & { version_id: number };

export async function updateSearchColumns(sql: Queryable, rows: readonly SearchColumnsUpdate[]): Promise<number> {
  if (rows.length === 0) return 0;
  const r = objectRows(sql, 'r', rows.map((x) => ({ ...x, identifiers: x.identifiers.map(identifierEntry) })), {
    resource_type: 'text', id: 'text', version_id: 'integer', subject: 'text', status: 'text', priority: 'text', recipients: 'text[]',
    identifiers: 'text[]', tokens: 'text[]', date_start: 'timestamptz', date_end: 'timestamptz', search_version: 'smallint',
  });
  const done = await sql`
    UPDATE fhir_resource f SET subject = r.subject, status = r.status, priority = r.priority, recipients = r.recipients,
      identifiers = r.identifiers, tokens = r.tokens, date_start = r.date_start, date_end = r.date_end, search_version = r.search_version
    FROM ${r}
    WHERE f.resource_type = r.resource_type AND f.id = r.id AND f.version_id = r.version_id`;
  return done.count;
}
