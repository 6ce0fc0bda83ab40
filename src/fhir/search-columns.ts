// The search columns of fhir_resource, extracted from a resource on every write (pure). What is
// extracted is read from the search parameter table (search-params.ts), so every parameter the parser
// accepts has its values stored, and the stored forms are built by the same functions the searches
// use (tokenKeys, codeKey, systemKey, refKeys below).
//
// `tokens` (GIN-indexed) holds, per token parameter and coding:
//   'param|system|code'   exact (system empty when the coding has none): `system|code` and `|code`
//   'param#c|code'        the code under any system: `code`
//   'param#s|system'      any code of the system: `system|`
// and per reference parameter: 'param>Type/id' (typed) and 'param>id' (any type). `|` and `\` inside a
// system or code are escaped with `\`, so no two (system, code) pairs share an entry.
// `date_start`/`date_end` hold the `date` parameter's range [start, end) (FHIR R4 search.html#date).
//
// PHI in the search columns is a keyed hash (README "Security and PHI"): the exact and code entries
// of the `identifier` parameter (MRNs, account and order numbers) are 'identifier|#H' and
// 'identifier#c|#H', H the search key's HMAC of the escaped value (src/crypto); a search builds them
// with the same functions, so exact matches still meet in the index, while nothing else can (no
// prefix or partial match on an identifier). The system-only entry keeps the system in clear. A UUID
// URN value (an opaque id) is not hashed but stored as its bytes, '~K' (crypto/opaque.ts):
// 'identifier#c|~K', and 'identifier|~K' under the URN system (under another, the exact entry is hashed).
// Patient.birthDate is the `birthdate` parameter's one entry, 'birthdate|#H' of the exact date.
// `_tag` entries (meta.tag, exact only) let the store find a schedule view's resources without
// opening their sealed bodies.
import type { Resource } from 'fhir/r4.js';
import { isOpaqueId, opaqueKey, phiKeyring, URN_SYSTEM } from '../crypto/index.js';
import { dateRange, formatMicros } from './date-param.js';
import { normalizeReference, parseTypedReference } from './references.js';
import { isSupportedType } from './resource-types.js';
import { SEARCH_PARAMS, type ParamSource } from './search-params.js';

/** Bumped when what is extracted changes: rows stored with an older version are re-extracted (reindex.ts). */
export const SEARCH_COLUMNS_VERSION = 3;

/** Named as the columns of fhir_resource they fill. */
export interface SearchColumns {
  /** 'Patient/<id>': the resource's subject, or a Patient's own reference */
  subject: string | null;
  status: string | null;
  priority: string | null;
  /** recipient[].reference, normalised to Type/id */
  recipients: string[];
  /** identifier[] as 'system|value' ('|value' when there is no system): conditional create reads these */
  identifiers: string[];
  /** every token and reference parameter's entries (see the file comment) */
  tokens: string[];
  /** the `date` parameter's range, ISO instants with microseconds; '-infinity'/'infinity' for an open Period */
  date_start: string | null;
  date_end: string | null;
  search_version: number;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);
// Nearly no system or code holds `|` or `\`: two indexOf scans spare the regex on every string.
const escapeKey = (s: string): string => (s.indexOf('|') === -1 && s.indexOf('\\') === -1 ? s : s.replace(/[\\|]/g, '\\$&'));

/** Token parameters whose values are PHI: stored and searched as keyed hashes, exact match only. */
const HASHED_PARAMS: ReadonlySet<string> = new Set(['identifier', 'birthdate']);
const hashed = (param: string, kind: string, text: string): string => `#${phiKeyring().searchHash(`search:${param}${kind}`, text)}`;

/** The exact entry of a token: `system` '' for a coding without one. A UUID URN under the URN system is its bytes (crypto/opaque.ts). */
export const tokenKey = (param: string, system: string, code: string): string => {
  if (!HASHED_PARAMS.has(param)) return `${param}|${escapeKey(system)}|${escapeKey(code)}`;
  if (system === URN_SYSTEM && isOpaqueId(code)) return `${param}|${opaqueKey(code)}`;
  return `${param}|${hashed(param, '', `${escapeKey(system)}|${escapeKey(code)}`)}`;
};
/** The entry matching `code` under any system. */
export const codeKey = (param: string, code: string): string =>
  `${param}#c|${!HASHED_PARAMS.has(param) ? escapeKey(code) : isOpaqueId(code) ? opaqueKey(code) : hashed(param, '#c', escapeKey(code))}`;
/** The entry matching any code of `system`. */
export const systemKey = (param: string, system: string): string => `${param}#s|${escapeKey(system)}`;
/** The entry of a reference: typed ('Patient/1') or by id alone ('1', any type). */
export const refKey = (param: string, ref: { type?: string; id: string }): string => `${param}>${ref.type ? `${ref.type}/` : ''}${ref.id}`;

/** Adds all three entries of a coding (only the exact and code entries when it has no system). */
function addCoding(out: string[], param: string, system: string | null, code: string): void {
  out.push(tokenKey(param, system ?? '', code), codeKey(param, code));
  if (system !== null) out.push(systemKey(param, system));
}

/** Adds the entries of every coding with a code (and of Identifier: every value) in `v`, one or a list. */
function addCodings(out: string[], param: string, v: unknown, codeElement: 'code' | 'value'): void {
  for (const c of asList(v)) {
    if (!isObject(c)) continue;
    const code = str(c[codeElement]);
    if (code !== null) addCoding(out, param, str(c.system), code);
  }
}

function referenceOf(v: unknown): string | null {
  return isObject(v) && typeof v.reference === 'string' && v.reference !== '' ? normalizeReference(v.reference) : null;
}

/** Adds the entries of one token or reference parameter (pushed in place: this runs on every write). */
function addTokens(out: string[], param: string, source: ParamSource, r: Record<string, unknown>): void {
  switch (source.kind) {
    case 'code': {
      const code = str(r[source.element]);
      if (code !== null) addCoding(out, param, source.system, code);
      return;
    }
    case 'CodeableConcept':
      for (const cc of asList(r[source.element])) if (isObject(cc)) addCodings(out, param, cc.coding, 'code');
      return;
    case 'Identifier':
      addCodings(out, param, r[source.element], 'value');
      return;
    case 'Reference':
      for (const v of asList(r[source.element])) {
        const ref = referenceOf(v);
        const typed = ref === null ? undefined : parseTypedReference(ref);
        if (!typed || (source.only !== undefined && typed.type !== source.only)) continue;
        out.push(refKey(param, typed), refKey(param, { id: typed.id }));
      }
      return;
    case 'hashedDate': {
      // Patient.birthDate: its exact text, hashed (tokenKey) like an identifier
      const value = str(r[source.element]);
      if (value !== null) out.push(tokenKey(param, '', value));
      return;
    }
    case 'date':
    case 'id':
    case 'lastUpdated':
      return;
  }
}

/** The distinct values in first-seen order; the list itself when it has no repeats (the usual case). */
function distinct(xs: string[]): string[] {
  if (xs.length < 2) return xs;
  const seen = new Set(xs);
  return seen.size === xs.length ? xs : [...seen];
}

/** [start, end) of a dateTime/instant (by its precision) or a Period; undefined when there is none. */
function rangeOf(v: unknown): { start: string; end: string } | undefined {
  if (typeof v === 'string') {
    const r = dateRange(v);
    return r && { start: formatMicros(r.lo), end: formatMicros(r.hi) };
  }
  if (!isObject(v)) return undefined;
  // FHIR R4 datatypes.html#Period: a missing start or end is open on that side
  const start = typeof v.start === 'string' ? dateRange(v.start) : undefined;
  const end = typeof v.end === 'string' ? dateRange(v.end) : undefined;
  if (!start && !end) return undefined;
  return { start: start ? formatMicros(start.lo) : '-infinity', end: end ? formatMicros(end.hi) : 'infinity' };
}

function dateOf(source: Extract<ParamSource, { kind: 'date' }>, r: Record<string, unknown>): { start: string; end: string } | undefined {
  if (!source.choice) return rangeOf(r[source.element]);
  // FHIR R4 formats.html#choice: effectiveDateTime | effectivePeriod | effectiveInstant
  for (const suffix of ['DateTime', 'Period', 'Instant']) {
    const v = r[`${source.element}${suffix}`];
    if (v !== undefined) return rangeOf(v);
  }
  return undefined;
}

/** Element names differ by type, so read them as data: every element named here is at the top level. */
export function extractSearchColumns(resource: Resource): SearchColumns {
  const r = resource as unknown as Record<string, unknown>;
  // Communication/CommunicationRequest/Observation/DiagnosticReport/Encounter/ServiceRequest/Specimen.subject
  const subject = resource.resourceType === 'Patient' && resource.id ? `Patient/${resource.id}` : referenceOf(r.subject);
  const recipients: string[] = [];
  for (const v of asList(r.recipient)) {
    const ref = referenceOf(v);
    if (ref !== null) recipients.push(ref);
  }
  const identifiers: string[] = [];
  for (const i of asList(r.identifier)) {
    if (!isObject(i)) continue;
    const value = str(i.value);
    if (value !== null) identifiers.push(`${str(i.system) ?? ''}|${value}`);
  }
  const params = isSupportedType(resource.resourceType) ? SEARCH_PARAMS[resource.resourceType] : [];
  const tokens: string[] = [];
  let dateSource: Extract<ParamSource, { kind: 'date' }> | undefined;
  for (const p of params) {
    if (p.source.kind === 'date') dateSource ??= p.source;
    else addTokens(tokens, p.name, p.source, r);
  }
  // meta.tag, exact entries only (the store's lookup of a schedule view's rows)
  if (isObject(r.meta)) {
    for (const t of asList(r.meta.tag)) {
      const code = isObject(t) ? str(t.code) : null;
      if (code !== null && isObject(t)) tokens.push(tokenKey('_tag', str(t.system) ?? '', code));
    }
  }
  const range = dateSource ? dateOf(dateSource, r) : undefined;
  return {
    subject,
    status: str(r.status),
    priority: str(r.priority),
    recipients: distinct(recipients),
    identifiers: distinct(identifiers),
    tokens: distinct(tokens),
    date_start: range?.start ?? null,
    date_end: range?.end ?? null,
    search_version: SEARCH_COLUMNS_VERSION,
  };
}
