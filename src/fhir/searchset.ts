// The searchset Bundle (FHIR R4 bundle.html#searchset, http.html#paging): total, self/next links,
// one entry per match with fullUrl and search.mode match, and an OperationOutcome entry
// (search.mode outcome) naming parameters that were ignored (search.html#errors). Pure.
import type { Bundle, BundleEntry, BundleLink } from 'fhir/r4.js';
import { warningOutcome } from '../outcome/index.js';
import { encodeCursor } from './cursor.js';
import type { SearchResult } from './search.js';

export interface SearchsetInput {
  /** FHIR base URL without a trailing slash, e.g. https://sb.example/fhir */
  base: string;
  type: string;
  result: SearchResult;
  /** parameters applied (search.html#selflink: the self link shows only what was used) */
  used: readonly [string, string][];
  /** the cursor of this page, if it is not the first */
  cursor?: string;
  ignored: readonly string[];
}

function searchUrl(base: string, type: string, params: readonly [string, string][]): string {
  const qs = new URLSearchParams(params as [string, string][]).toString();
  return qs ? `${base}/${type}?${qs}` : `${base}/${type}`;
}

export function searchsetBundle(i: SearchsetInput): Bundle {
  const link: BundleLink[] = [{ relation: 'self', url: searchUrl(i.base, i.type, i.cursor ? [...i.used, ['_cursor', i.cursor]] : i.used) }];
  if (i.result.next) {
    link.push({ relation: 'next', url: searchUrl(i.base, i.type, [...i.used, ['_cursor', encodeCursor(i.result.next)]]) });
  }
  const entry: BundleEntry[] = i.result.resources.map((r) => ({
    fullUrl: `${i.base}/${r.resourceType}/${r.id}`,
    resource: r.resource,
    search: { mode: 'match' },
  }));
  if (i.ignored.length > 0) {
    entry.push({
      resource: warningOutcome('not-supported', i.ignored.map((n) => `Search parameter ${n} is not supported for ${i.type} and was ignored`)),
      search: { mode: 'outcome' },
    });
  }
  return { resourceType: 'Bundle', type: 'searchset', total: i.result.total, link, ...(entry.length ? { entry } : {}) };
}
