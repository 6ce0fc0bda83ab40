// Search over fhir_resource (FHIR R4 search.html): each Filter becomes one parameterised SQL fragment
// on an extracted column; pages are keyset-paged on (last_updated, id), which the
// fhir_resource_updated index serves, and the total is an exact second count.
import type postgres from 'postgres';
import type { Cursor } from './cursor.js';
import { toStored, type Queryable, type StoredResource } from './resource-store.js';
import type { Filter, RefValue, SearchQuery } from './search-parse.js';

type Fragment = postgres.Fragment;

export interface SearchResult {
  /** the page, in the requested order (empty for _summary=count) */
  resources: StoredResource[];
  /** all matches, ignoring paging */
  total: number;
  /** where the next page starts; absent on the last page */
  next?: Cursor;
}

function anyOf(sql: Queryable, parts: readonly Fragment[]): Fragment {
  return parts.slice(1).reduce((acc, p) => sql`${acc} OR ${p}`, sql`(${parts[0]!}`) as Fragment;
}
const closeAny = (sql: Queryable, parts: readonly Fragment[]): Fragment => sql`${anyOf(sql, parts)})`;

const typed = (refs: readonly RefValue[]): string[] => refs.filter((r) => r.type).map((r) => `${r.type!}/${r.id}`);
const bare = (refs: readonly RefValue[]): string[] => refs.filter((r) => !r.type).map((r) => r.id);

function filterSql(sql: Queryable, f: Filter): Fragment {
  switch (f.param) {
    case '_id':
      return sql`id = ANY(${f.ids}::text[])`;
    case 'status':
      return sql`status = ANY(${f.codes}::text[])`;
    case 'priority':
      return sql`priority = ANY(${f.codes}::text[])`;
    case 'identifier': {
      const parts: Fragment[] = [];
      const exact = f.tokens.flatMap((t) => (t.kind === 'exact' ? [t.key] : []));
      const values = f.tokens.flatMap((t) => (t.kind === 'value' ? [t.value] : []));
      const systems = f.tokens.flatMap((t) => (t.kind === 'system' ? [t.system] : []));
      if (exact.length) parts.push(sql`identifiers && ${exact}::text[]`);
      if (values.length) parts.push(sql`EXISTS (SELECT 1 FROM unnest(identifiers) x, unnest(${values}::text[]) v WHERE right(x, length(v) + 1) = '|' || v)`);
      if (systems.length) parts.push(sql`EXISTS (SELECT 1 FROM unnest(identifiers) x, unnest(${systems}::text[]) s WHERE left(x, length(s) + 1) = s || '|')`);
      return closeAny(sql, parts);
    }
    case 'patient':
    case 'subject': {
      const parts: Fragment[] = [];
      const t = typed(f.refs);
      const b = bare(f.refs);
      if (t.length) parts.push(sql`subject = ANY(${t}::text[])`);
      if (b.length) parts.push(sql`substr(subject, strpos(subject, '/') + 1) = ANY(${b}::text[])`);
      return closeAny(sql, parts);
    }
    case 'recipient': {
      const parts: Fragment[] = [];
      const t = typed(f.refs);
      const b = bare(f.refs);
      if (t.length) parts.push(sql`recipients && ${t}::text[]`);
      if (b.length) parts.push(sql`EXISTS (SELECT 1 FROM unnest(recipients) r WHERE substr(r, strpos(r, '/') + 1) = ANY(${b}::text[]))`);
      return closeAny(sql, parts);
    }
    case '_lastUpdated': {
      // search.html#prefix, with the parameter's range [lo, hi) against the instant last_updated
      const { prefix, lo, hi } = f.date;
      if (prefix === 'gt') return sql`last_updated >= ${hi}::timestamptz`;
      if (prefix === 'ge') return sql`last_updated >= ${lo}::timestamptz`;
      if (prefix === 'lt') return sql`last_updated < ${lo}::timestamptz`;
      if (prefix === 'le') return sql`last_updated < ${hi}::timestamptz`;
      return sql`(last_updated >= ${lo}::timestamptz AND last_updated < ${hi}::timestamptz)`;
    }
  }
}

function whereSql(sql: Queryable, type: string, filters: readonly Filter[]): Fragment {
  return filters.reduce((acc, f) => sql`${acc} AND ${filterSql(sql, f)}`, sql`resource_type = ${type}` as Fragment);
}

function keysetSql(sql: Queryable, c: Cursor | undefined): Fragment {
  if (!c) return sql`TRUE`;
  // Row comparison (last_updated, id) matches the ORDER BY exactly, ties on last_updated included.
  return c.sort === 'desc'
    ? sql`(last_updated, id) < (${c.lastUpdated}::timestamptz, ${c.id})`
    : sql`(last_updated, id) > (${c.lastUpdated}::timestamptz, ${c.id})`;
}

interface PageRow {
  resource_type: string;
  id: string;
  version_id: number;
  last_updated: Date;
  /** last_updated with microseconds: a JS Date would round it and the cursor would skip or repeat */
  lu: string;
  resource: postgres.JSONValue;
}

export async function searchResources(sql: Queryable, type: string, q: SearchQuery): Promise<SearchResult> {
  const where = whereSql(sql, type, q.filters);
  const countRows = sql<{ total: number }[]>`SELECT count(*)::int AS total FROM fhir_resource WHERE ${where}`;
  if (q.summaryCount) return { resources: [], total: (await countRows)[0]?.total ?? 0 };
  const order = q.sort === 'desc' ? sql`ORDER BY last_updated DESC, id DESC` : sql`ORDER BY last_updated ASC, id ASC`;
  const pageRows = sql<PageRow[]>`
    SELECT resource_type, id, version_id, last_updated, resource,
           to_char(last_updated AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS lu
    FROM fhir_resource
    WHERE ${where} AND ${keysetSql(sql, q.cursor)}
    ${order}
    LIMIT ${q.count + 1}`;
  const [counted, rows] = await Promise.all([countRows, pageRows]);
  const page = rows.slice(0, q.count);
  const last = page[page.length - 1];
  const result: SearchResult = {
    resources: page.map((r) => toStored({ ...r, resource: r.resource as unknown as StoredResource['resource'] })),
    total: counted[0]?.total ?? 0,
  };
  if (rows.length > q.count && last) result.next = { lastUpdated: last.lu, id: last.id, sort: q.sort };
  return result;
}
