// From a query string to a SearchQuery (FHIR R4 search.html). Validation happens here, before any SQL:
// a bad value is a 400 naming the parameter (never echoing the value). An unknown parameter or an
// unsupported modifier is refused too (search.html#errors: `Prefer: handling=strict`, our default,
// since a search that silently drops `subject:Patient=X` returns every patient's data); with
// `Prefer: handling=lenient` it is ignored and reported in the Bundle. Pure.
import { isStorableText, UNSTORABLE_TEXT_MESSAGE } from '../text/index.js';
import { badRequest, notSupported } from '../outcome/index.js';
import { decodeCursor, type Cursor, type SortOrder } from './cursor.js';
import { parseDateParam, type DateFilter } from './date-param.js';
import { normalizeReference, parseTypedReference } from './references.js';
import { FHIR_ID, type SupportedType } from './resource-types.js';
import { codeKey, refKey, systemKey, tokenKey } from './search-columns.js';
import { DEFAULT_COUNT, MAX_COUNT, RESULT_PARAMS, searchParam, type SearchParamDef } from './search-params.js';
import { parseToken, splitAlternatives, unescape } from './search-values.js';

/** One occurrence of a parameter: its alternatives are ORed; occurrences are ANDed (search.html#combining). */
export type Filter =
  | { kind: 'id'; ids: string[] }
  /** entries of the tokens column (search-columns.ts), any of which matches */
  | { kind: 'tokens'; keys: string[] }
  /** meta.lastUpdated (an instant) or the `date` parameter's range; any of `dates` matches */
  | { kind: 'date'; column: 'last_updated' | 'date'; dates: DateFilter[] };

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
  /** names of parameters ignored in lenient mode (unknown, or a modifier we do not support) */
  ignored: string[];
}

export interface ParseOptions {
  /** `Prefer: handling=lenient`: ignore and report what we do not support instead of refusing it */
  lenient?: boolean;
}

const JSON_FORMATS = ['json', 'application/json', 'application/fhir+json'];

/** A name shown back only when it looks like a parameter name (`code`, `subject:Patient`, `patient.identifier`). */
const PLAUSIBLE_NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,63}(?:[:.][A-Za-z_][A-Za-z0-9_-]{0,63}){0,3}$/;
const shown = (name: string): string | undefined => (PLAUSIBLE_NAME.test(name) ? name : undefined);
const SEARCH_PARAM = 'ERR_FHIR_SEARCH_PARAM';

function invalid(name: string, problem: string): never {
  // `name` is a supported parameter's (from our table), never request text
  throw badRequest(`Search parameter ${name}: ${problem}`, { code: 'ERR_FHIR_SEARCH_VALUE', details: [{ path: name, message: problem }] });
}

/** FHIR R4 search.html#reference: `id`, `Type/id` or an absolute URL; with `:Type`, an id of that type. */
function referenceKeys(def: SearchParamDef, modifierType: string | undefined, alternatives: string[]): string[] {
  const only = def.source.kind === 'Reference' ? def.source.only : undefined;
  return alternatives.flatMap((alt) => {
    const raw = unescape(alt);
    const typed = parseTypedReference(normalizeReference(raw));
    let ref: { type?: string; id: string };
    if (typed) ref = typed;
    else if (FHIR_ID.test(raw)) ref = { id: raw };
    else invalid(def.name, 'not a reference (id, Type/id or a URL ending in Type/id)');
    const wanted = modifierType ?? only;
    if (wanted !== undefined) {
      if (ref.type !== undefined && ref.type !== wanted) invalid(def.name, `must reference a ${wanted}`);
      ref = { type: wanted, id: ref.id };
    }
    return [refKey(def.name, ref)];
  });
}

function tokenKeys(def: SearchParamDef, alternatives: string[]): string[] {
  return alternatives.map((alt) => {
    const t = parseToken(alt);
    if (!t) invalid(def.name, 'empty token');
    if (t.kind === 'exact') return tokenKey(def.name, t.system, t.code);
    return t.kind === 'code' ? codeKey(def.name, t.code) : systemKey(def.name, t.system);
  });
}

function dateFilters(def: SearchParamDef, alternatives: string[]): DateFilter[] {
  return alternatives.map((alt) => {
    // an unencoded '+' of a zone offset arrives as a space (application/x-www-form-urlencoded)
    const date = parseDateParam(unescape(alt).replace(/ (\d{2}:\d{2})$/, '+$1'));
    if (!date) invalid(def.name, 'not a valid [eq|gt|ge|lt|le] date or dateTime that exists');
    return date;
  });
}

/** A PHI date (birthdate) is stored hashed: an exact full date (`eq` or no prefix) is all that can match. */
function hashedDateKeys(def: SearchParamDef, alternatives: string[]): string[] {
  return alternatives.map((alt) => {
    const v = unescape(alt).replace(/^eq/, '');
    if (!/^\d{4}-\d{2}-\d{2}$/.test(v)) invalid(def.name, 'only an exact date (YYYY-MM-DD) is searchable: birth dates are stored as keyed hashes');
    return tokenKey(def.name, '', v);
  });
}

/** The filter of one supported parameter occurrence; `modifier` is what follows ':' (already allowed). */
function parseFilter(def: SearchParamDef, modifier: string | undefined, raw: string): Filter {
  const alternatives = splitAlternatives(raw);
  switch (def.source.kind) {
    case 'id': {
      const ids = alternatives.map(unescape);
      if (!ids.every((v) => FHIR_ID.test(v))) invalid(def.name, 'not a valid id');
      return { kind: 'id', ids };
    }
    case 'lastUpdated':
      return { kind: 'date', column: 'last_updated', dates: dateFilters(def, alternatives) };
    case 'date':
      return { kind: 'date', column: 'date', dates: dateFilters(def, alternatives) };
    case 'hashedDate':
      return { kind: 'tokens', keys: hashedDateKeys(def, alternatives) };
    case 'Reference':
      return { kind: 'tokens', keys: referenceKeys(def, modifier, alternatives) };
    case 'code':
    case 'CodeableConcept':
    case 'Identifier':
      return { kind: 'tokens', keys: tokenKeys(def, alternatives) };
  }
}

/** The parameter a name asks for, when we support it with that modifier (reference `:Type` only). */
function resolve(type: SupportedType, name: string): { def: SearchParamDef; modifier?: string } | undefined {
  const colon = name.indexOf(':');
  const def = searchParam(type, colon < 0 ? name : name.slice(0, colon));
  if (!def) return undefined;
  if (colon < 0) return { def };
  const modifier = name.slice(colon + 1);
  return def.type === 'reference' && def.targets?.includes(modifier) ? { def, modifier } : undefined;
}

function once(seen: Set<string>, name: string): void {
  if (seen.has(name)) throw badRequest(`Search parameter ${name}: may appear only once`, { code: 'ERR_FHIR_SEARCH_VALUE' });
  seen.add(name);
}

function resultParam(name: (typeof RESULT_PARAMS)[number], value: string, q: SearchQuery): string | undefined {
  if (name === '_count') {
    if (!/^\d{1,6}$/.test(value)) invalid('_count', 'must be a non-negative integer');
    const n = Number(value);
    if (n === 0) q.summaryCount = true; // search.html#count: _count=0 asks for the total only
    else q.count = Math.min(n, MAX_COUNT);
  } else if (name === '_summary') {
    if (value === 'count') q.summaryCount = true;
    else if (value !== 'false') invalid('_summary', 'only count and false are supported');
  } else if (name === '_sort') {
    if (value === '-_lastUpdated') q.sort = 'desc';
    else if (value === '_lastUpdated') q.sort = 'asc';
    else invalid('_sort', 'only _lastUpdated and -_lastUpdated are supported');
  } else return value; // _cursor, decoded once the sort is known
  return undefined;
}

export function parseSearch(type: SupportedType, params: URLSearchParams, opts: ParseOptions = {}): ParsedSearch {
  const query: SearchQuery = { filters: [], count: DEFAULT_COUNT, summaryCount: false, sort: 'desc' };
  const used: [string, string][] = [];
  const ignored: string[] = [];
  const unknown: string[] = [];
  const seen = new Set<string>();
  let cursorText: string | undefined;

  for (const [name, value] of params) {
    // a NUL cannot reach PostgreSQL text at all (the query failed with a 500, found by fuzzing)
    if (!isStorableText(value) || !isStorableText(name)) {
      throw badRequest(`Search parameter ${shown(name) ?? '(name not shown)'}: ${UNSTORABLE_TEXT_MESSAGE}`, { code: 'ERR_FHIR_SEARCH_VALUE' });
    }
    if ((RESULT_PARAMS as readonly string[]).includes(name)) {
      const result = name as (typeof RESULT_PARAMS)[number];
      once(seen, result);
      const cursor = resultParam(result, value, query);
      if (cursor !== undefined) cursorText = cursor;
      // the self link shows what was applied: the clamped _count, never the cursor (searchset.ts adds it)
      else if (result === '_count') used.push([result, String(query.summaryCount ? 0 : query.count)]);
      else used.push([result, value]);
      continue;
    }
    if (name === '_format' && JSON_FORMATS.includes(value)) continue; // http.html#mime-type: JSON is what we serve
    const found = resolve(type, name);
    if (!found) {
      unknown.push(name);
      continue;
    }
    if (value === '') continue; // search.html#errors: an empty value is ignored
    query.filters.push(parseFilter(found.def, found.modifier, value));
    used.push([name, value]);
  }
  if (unknown.length > 0) {
    if (!opts.lenient) {
      const names = unknown.map((n) => shown(n) ?? '(a name not shown)');
      throw notSupported(`Unknown or unsupported search parameter(s) for ${type}: ${names.join(', ')}`, {
        code: `${SEARCH_PARAM}_UNKNOWN`, details: unknown.flatMap((n) => (shown(n) ? [{ path: n, message: 'not supported for this resource type' }] : [])),
      });
    }
    ignored.push(...unknown.map((n) => shown(n) ?? '(a name not shown)'));
  }
  if (cursorText !== undefined) {
    const cursor = decodeCursor(cursorText);
    if (!cursor || cursor.sort !== query.sort) invalid('_cursor', 'not a cursor from this search');
    query.cursor = cursor;
  }
  return { query, used, ignored };
}
