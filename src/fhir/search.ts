// Search over the resource store (FHIR R4 search.html), the FHIR side: each parsed Filter becomes a store
// condition on an extracted column (search-columns.ts), and the store's keyset position becomes the
// paging cursor. The SQL (parameterised, keyset-paged on (last_updated, id), with an exact total) is
// src/store/fhir-resources.ts; every condition here is one an index of fhir_resource serves.
import type { DateFilter } from './date-param.js';
import { explainResourceSearch, searchResources, type ResourceCondition, type ResourceMatch, type ResourceSearch, type StoredResource } from '../store/index.js';
import type { Cursor } from './cursor.js';
import type { Queryable } from './resource-store.js';
import type { Filter, SearchQuery } from './search-parse.js';

export interface SearchResult {
  /** the page, in the requested order (empty for _summary=count) */
  resources: StoredResource[];
  /** all matches, ignoring paging */
  total: number;
  /** where the next page starts; absent on the last page */
  next?: Cursor;
}

/** search.html#prefix against an instant (meta.lastUpdated): its own [t, t+1µs) range against [lo, hi). */
function instantMatches(d: DateFilter): ResourceMatch[] {
  const at = (cmp: '>=' | '<', value: string): ResourceMatch => ({ op: 'cmp', column: 'last_updated', cmp, value });
  switch (d.prefix) {
    case 'gt': return [at('>=', d.hi)];
    case 'ge': return [at('>=', d.lo)];
    case 'lt': return [at('<', d.lo)];
    case 'le': return [at('<', d.hi)];
    case 'eq': return [at('>=', d.lo), at('<', d.hi)];
  }
}

/**
 * search.html#prefix against a range [date_start, date_end) (a dateTime by its precision, or a Period):
 * eq: the search range contains it; gt: it reaches past the search range; lt: it starts before it;
 * ge / le: gt / lt, or eq.
 */
function rangeMatch(d: DateFilter): ResourceMatch {
  const within: ResourceMatch = { op: 'and', all: [{ op: 'cmp', column: 'date_start', cmp: '>=', value: d.lo }, { op: 'cmp', column: 'date_end', cmp: '<=', value: d.hi }] };
  const after: ResourceMatch = { op: 'cmp', column: 'date_end', cmp: '>', value: d.hi };
  const before: ResourceMatch = { op: 'cmp', column: 'date_start', cmp: '<', value: d.lo };
  switch (d.prefix) {
    case 'eq': return within;
    case 'gt': return after;
    case 'lt': return before;
    case 'ge': return { op: 'or', any: [after, within] };
    case 'le': return { op: 'or', any: [before, within] };
  }
}

/** One parameter occurrence: its alternatives are ORed (one condition); occurrences are ANDed (search.html#combining). */
function conditionOf(f: Filter): ResourceCondition {
  switch (f.kind) {
    case 'id':
      return { anyOf: [{ op: 'in', column: 'id', values: f.ids }] };
    case 'tokens':
      return { anyOf: [{ op: 'tokens', values: f.keys }] };
    case 'date':
      return { anyOf: f.dates.map((d) => (f.column === 'date' ? rangeMatch(d) : { op: 'and', all: instantMatches(d) })) };
  }
}

function storeSearch(type: string, q: SearchQuery): ResourceSearch {
  return {
    type,
    conditions: q.filters.map(conditionOf),
    sort: q.sort,
    // search-parse.ts accepts a cursor only when it was made for this sort, so the keyset runs the same way
    ...(q.cursor ? { after: { lastUpdated: q.cursor.lastUpdated, id: q.cursor.id } } : {}),
    count: q.count,
    countOnly: q.summaryCount,
  };
}

/** FHIR R4 http.html#search, the search-type interaction on an already parsed and validated query. */
export async function searchType(sql: Queryable, type: string, q: SearchQuery, organization?: string): Promise<SearchResult> {
  const page = await searchResources(sql, { ...storeSearch(type, q), ...(organization !== undefined ? { organization } : {}) });
  const result: SearchResult = { resources: page.resources, total: page.total };
  if (page.next) result.next = { ...page.next, sort: q.sort };
  return result;
}

/** The plans PostgreSQL picks for a search (EXPLAIN of its count and page statements): which index serves it. */
export function explainSearchType(sql: Queryable, type: string, q: SearchQuery): Promise<{ count: string; page: string }> {
  return explainResourceSearch(sql, storeSearch(type, q));
}
