// Search over the resource store (FHIR R4 search.html), the FHIR side: each parsed Filter becomes a store
// condition on an extracted column (search-columns.ts), and the store's keyset position becomes the
// paging cursor. The SQL (parameterised, keyset-paged on (last_updated, id), with an exact total) is
// src/store/fhir-resources.ts.
import { searchResources, type ResourceCondition, type ResourceMatch, type StoredResource } from '../store/index.js';
import type { Cursor } from './cursor.js';
import type { Queryable } from './resource-store.js';
import type { Filter, RefValue, SearchQuery } from './search-parse.js';

export interface SearchResult {
  /** the page, in the requested order (empty for _summary=count) */
  resources: StoredResource[];
  /** all matches, ignoring paging */
  total: number;
  /** where the next page starts; absent on the last page */
  next?: Cursor;
}

const typed = (refs: readonly RefValue[]): string[] => refs.filter((r) => r.type).map((r) => `${r.type!}/${r.id}`);
const bare = (refs: readonly RefValue[]): string[] => refs.filter((r) => !r.type).map((r) => r.id);

/** The match, when it has values: a parameter's values of one form are tested together, absent forms not at all. */
const ifAny = (m: Extract<ResourceMatch, { values: readonly string[] }>): ResourceMatch[] => (m.values.length ? [m] : []);
const one = (m: ResourceMatch): ResourceCondition[] => [{ anyOf: [m] }];

/** One parameter occurrence: its values are ORed (one condition); occurrences are ANDed (search.html#combining). */
function conditionsOf(f: Filter): ResourceCondition[] {
  switch (f.param) {
    case '_id':
      return one({ op: 'in', column: 'id', values: f.ids });
    case 'status':
    case 'priority':
      return one({ op: 'in', column: f.param, values: f.codes });
    case 'identifier':
      // search.html#token: system|value exact, |value or value by value, system| by system
      return [{
        anyOf: [
          ...ifAny({ op: 'overlaps', column: 'identifiers', values: f.tokens.flatMap((t) => (t.kind === 'exact' ? [t.key] : [])) }),
          ...ifAny({ op: 'value-in', column: 'identifiers', values: f.tokens.flatMap((t) => (t.kind === 'value' ? [t.value] : [])) }),
          ...ifAny({ op: 'system-in', column: 'identifiers', values: f.tokens.flatMap((t) => (t.kind === 'system' ? [t.system] : [])) }),
        ],
      }];
    case 'patient':
    case 'subject':
      // search.html#reference: Type/id exactly, a bare id under any type
      return [{ anyOf: [...ifAny({ op: 'in', column: 'subject', values: typed(f.refs) }), ...ifAny({ op: 'id-in', column: 'subject', values: bare(f.refs) })] }];
    case 'recipient':
      return [{ anyOf: [...ifAny({ op: 'overlaps', column: 'recipients', values: typed(f.refs) }), ...ifAny({ op: 'id-in', column: 'recipients', values: bare(f.refs) })] }];
    case '_lastUpdated': {
      // search.html#prefix, with the parameter's range [lo, hi) against the instant last_updated
      const { prefix, lo, hi } = f.date;
      if (prefix === 'gt') return one({ op: '>=', column: 'last_updated', value: hi });
      if (prefix === 'ge') return one({ op: '>=', column: 'last_updated', value: lo });
      if (prefix === 'lt') return one({ op: '<', column: 'last_updated', value: lo });
      if (prefix === 'le') return one({ op: '<', column: 'last_updated', value: hi });
      // eq: within the range, two ANDed conditions
      return [...one({ op: '>=', column: 'last_updated', value: lo }), ...one({ op: '<', column: 'last_updated', value: hi })];
    }
  }
}

/** FHIR R4 http.html#search, the search-type interaction on an already parsed and validated query. */
export async function searchType(sql: Queryable, type: string, q: SearchQuery): Promise<SearchResult> {
  const page = await searchResources(sql, {
    type,
    conditions: q.filters.flatMap(conditionsOf),
    sort: q.sort,
    // search-parse.ts accepts a cursor only when it was made for this sort, so the keyset runs the same way
    ...(q.cursor ? { after: { lastUpdated: q.cursor.lastUpdated, id: q.cursor.id } } : {}),
    count: q.count,
    countOnly: q.summaryCount,
  });
  const result: SearchResult = { resources: page.resources, total: page.total };
  if (page.next) result.next = { ...page.next, sort: q.sort };
  return result;
}
