// From a query string to a SearchQuery (FHIR R4 search.html). Validation happens here, before any SQL:
// a bad value is a 400 naming the parameter (never echoing the value); an unknown parameter is ignored
// and reported, or refused with `Prefer: handling=strict` (search.html#errors). Pure.
import { isStorableText, UNSTORABLE_TEXT_MESSAGE } from '../text/index.js';
import { badRequest, notSupported } from '../outcome/index.js';
import { decodeCursor, type Cursor, type SortOrder } from './cursor.js';
import { parseDateParam, type DateFilter } from './date-param.js';
import { normalizeReference, parseTypedReference } from './references.js';
import { DEFAULT_COUNT, FHIR_ID, MAX_COUNT, RESULT_PARAMS, SEARCH_PARAMS, type SearchParamName, type SupportedType } from './resource-types.js';
import { parseCodeToken, parseIdentifierToken, splitEscaped, type IdentifierToken } from './search-values.js';

/** A reference value: `Type/id`, or a bare id (type left open; `patient` fixes it to Patient). */
export interface RefValue {
  type?: string;
  id: string;
}

/** One occurrence of a parameter: its values are ORed; occurrences are ANDed (search.html#combining). */
export type Filter =
  | { param: '_id'; ids: string[] }
  | { param: 'identifier'; tokens: IdentifierToken[] }
  | { param: 'patient' | 'subject' | 'recipient'; refs: RefValue[] }
  | { param: 'status' | 'priority'; codes: string[] }
  | { param: '_lastUpdated'; date: DateFilter };

export interface SearchQuery {
  filters: Filter[];
  /** page size, 1..MAX_COUNT */
  count: number;
  /** _summary=count (or _count=0): the total only */
  summaryCount: boolean;
  sort: SortOrder;
  cursor?: Cursor;
}

export interface ParsedSearch {
  query: SearchQuery;
  /** parameters applied, in request order (for the self link) */
  used: [string, string][];
  /** names of parameters ignored (unknown, or a modifier we do not support) */
  ignored: string[];
}

const JSON_FORMATS = ['json', 'application/json', 'application/fhir+json'];

function refValue(param: string, raw: string): RefValue {
  const typed = parseTypedReference(normalizeReference(raw));
  if (typed) return typed;
  if (FHIR_ID.test(raw)) return { id: raw };
  throw badRequest(`Search parameter ${param}: not a reference (Type/id or id)`);
}

function parseFilter(name: SearchParamName, raw: string): Filter {
  const values = splitEscaped(raw, ',');
  switch (name) {
    case '_id':
      if (!values.every((v) => FHIR_ID.test(v))) throw badRequest('Search parameter _id: not a valid id');
      return { param: '_id', ids: values };
    case 'identifier':
      return {
        param: 'identifier',
        tokens: values.map((v) => parseIdentifierToken(v) ?? ((): never => { throw badRequest('Search parameter identifier: empty token'); })()),
      };
    case 'patient':
      return {
        param: 'patient',
        refs: values.map((v) => {
          const r = refValue('patient', v);
          if (r.type !== undefined && r.type !== 'Patient') throw badRequest('Search parameter patient: must reference a Patient');
          return { type: 'Patient', id: r.id };
        }),
      };
    case 'subject':
    case 'recipient':
      return { param: name, refs: values.map((v) => refValue(name, v)) };
    case 'status':
    case 'priority':
      return { param: name, codes: values.map((v) => parseCodeToken(v) ?? ((): never => { throw badRequest(`Search parameter ${name}: empty code`); })()) };
    case '_lastUpdated': {
      // an unencoded '+' of a zone offset arrives as a space (application/x-www-form-urlencoded)
      const date = parseDateParam(raw.replace(/ (\d{2}:\d{2})$/, '+$1'));
      if (!date) throw badRequest('Search parameter _lastUpdated: not a valid [eq|gt|ge|lt|le]dateTime');
      return { param: '_lastUpdated', date };
    }
  }
}

/** A parameter name as it may be shown back: printable, short. */
const safeName = (n: string): string => n.replace(/[^A-Za-z0-9_:.\-]/g, '?').slice(0, 64);

function once(seen: Set<string>, name: string): void {
  if (seen.has(name)) throw badRequest(`Search parameter ${name}: may appear only once`);
  seen.add(name);
}

export function parseSearch(type: SupportedType, params: URLSearchParams, opts: { strict?: boolean } = {}): ParsedSearch {
  const supported = new Set<string>(SEARCH_PARAMS[type].map((p) => p.name));
  const filters: Filter[] = [];
  const used: [string, string][] = [];
  const ignored: string[] = [];
  const seen = new Set<string>();
  let count = DEFAULT_COUNT;
  let summaryCount = false;
  let sort: SortOrder = 'desc';
  let cursorText: string | undefined;

  for (const [name, value] of params) {
    // a NUL cannot reach PostgreSQL text at all (the query failed with a 500, found by fuzzing)
    if (!isStorableText(value)) throw badRequest(`Search parameter ${safeName(name)}: ${UNSTORABLE_TEXT_MESSAGE}`);
    if ((RESULT_PARAMS as readonly string[]).includes(name)) {
      once(seen, name);
      if (name === '_count') {
        if (!/^\d{1,6}$/.test(value)) throw badRequest('Search parameter _count: must be a non-negative integer');
        const n = Number(value);
        if (n === 0) summaryCount = true; // search.html#count: _count=0 asks for the total only
        else count = Math.min(n, MAX_COUNT);
      } else if (name === '_summary') {
        if (value === 'count') summaryCount = true;
        else if (value !== 'false') throw badRequest('Search parameter _summary: only count and false are supported');
      } else if (name === '_sort') {
        if (value === '-_lastUpdated') sort = 'desc';
        else if (value === '_lastUpdated') sort = 'asc';
        else throw badRequest('Search parameter _sort: only _lastUpdated and -_lastUpdated are supported');
      } else cursorText = value;
      // the self link shows what was applied: the clamped _count, never the cursor (searchset.ts adds it)
      if (name === '_count') used.push([name, String(summaryCount ? 0 : count)]);
      else if (name !== '_cursor') used.push([name, value]);
    } else if (name === '_format' && JSON_FORMATS.includes(value)) {
      // http.html#mime-type: JSON is what we serve anyway
    } else if (supported.has(name)) {
      if (value === '') continue; // search.html#errors: an empty value is ignored
      filters.push(parseFilter(name as SearchParamName, value));
      used.push([name, value]);
    } else {
      ignored.push(safeName(name));
    }
  }
  if (opts.strict && ignored.length > 0) {
    throw notSupported(`Unknown or unsupported search parameter(s) for ${type}: ${ignored.join(', ')}`);
  }
  let cursor: Cursor | undefined;
  if (cursorText !== undefined) {
    cursor = decodeCursor(cursorText);
    if (!cursor || cursor.sort !== sort) throw badRequest('Search parameter _cursor: not a cursor from this search');
  }
  const query: SearchQuery = { filters, count, summaryCount, sort, ...(cursor ? { cursor } : {}) };
  return { query, used, ignored };
}
