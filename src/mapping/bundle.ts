// Transaction Bundle assembly: deterministic fullUrls (urn:uuid from the hash of the
// resource's business key, ids.ts) and identifier-based conditional requests, so the same message always
// maps to the same Bundle and a replay updates instead of duplicating.
import type { Bundle, BundleEntry, Coding, Identifier, Resource } from 'fhir/r4.js';
import { type IdMinter, type KeyHash, URI_SYSTEM } from './ids.js';

export interface Entry<R extends Resource = Resource> {
  fullUrl: string;
  resource: R;
  /** 'create': POST with ifNoneExist on the identifier; 'upsert': conditional PUT on the identifier. */
  mode: 'create' | 'upsert';
  /** The identifier the conditional request matches on. */
  match: Identifier;
}

/** The synthetic identifier of a resource without a business identifier: its mapping key's hash as a URI. */
export function keyIdentifier(ids: IdMinter, key: KeyHash): Identifier {
  return { system: URI_SYSTEM, value: ids.identifierUrn(key) };
}

/** The fullUrl of a resource: a urn:uuid from its type and its mapping key's hash (IdMinter.hash). */
export function fullUrlFor(ids: IdMinter, resourceType: string, key: KeyHash): string {
  return ids.fullUrl(resourceType, key);
}

/** FHIR search token `system|value`, each part URL-encoded (the bar kept, as the spec writes it). */
export function identifierQuery(id: Identifier): string {
  const value = queryEncode(id.value ?? '');
  return id.system ? `identifier=${queryEncode(id.system)}|${value}` : `identifier=${value}`;
}

/**
 * FHIR R4 search.html#escaping: `\` `|` `,` `$` in a search value are escaped with a backslash. An
 * MRN holding a backslash (HL7 \E\) once matched nothing and made a new Patient on every message.
 */
function searchEscape(s: string): string {
  return /[\\|,$]/.test(s) ? s.replace(/[\\|,$]/g, (c) => `\\${c}`) : s;
}

/** What encodeURIComponent leaves alone, plus the ':' '/' '@' queryEncode puts back, by char code. */
const QUERY_SAFE = new Uint8Array(128);
for (const ch of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.!~*'():/@") QUERY_SAFE[ch.charCodeAt(0)] = 1;

/** Whether encodeURIComponent + putting back ':' '/' '@' would return s unchanged (a loop, not a regex: every entry runs it twice). */
function querySafe(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || QUERY_SAFE[c] === 0) return false;
  }
  return true;
}
const REOPENED: Readonly<Record<string, string>> = { '%3A': ':', '%2F': '/', '%40': '@' };

/** A search value (FHIR-escaped: searchEscape) as an RFC 3986 query component: ':' '/' '@' may stand unencoded (kept readable). */
function queryEncode(s: string): string {
  if (querySafe(s)) return s; // most systems and values (urn:uuid:..., http://loinc.org): nothing to escape or encode
  return encodeURIComponent(searchEscape(s)).replace(/%3A|%2F|%40/g, (m) => REOPENED[m]!);
}

/** A name as a URN segment: runs of characters outside RFC 8141's unreserved set become '-'. */
export function urnSegment(name: string): string {
  return name.trim().replace(/[^A-Za-z0-9._~-]+/g, '-') || '-';
}

export function toBundle(entries: readonly Entry[], meta: { tags: Coding[]; identifier?: Identifier; timestamp?: string }): Bundle {
  const bundle = { resourceType: 'Bundle' } as Bundle; // type set below, in FHIR's element order
  if (meta.tags.length) bundle.meta = { tag: meta.tags };
  if (meta.identifier) bundle.identifier = meta.identifier;
  bundle.type = 'transaction';
  if (meta.timestamp) bundle.timestamp = meta.timestamp;
  bundle.entry = entries.map(toBundleEntry);
  return bundle;
}

function toBundleEntry(e: Entry): BundleEntry {
  const type = e.resource.resourceType;
  const query = identifierQuery(e.match);
  const request: BundleEntry['request'] = e.mode === 'create'
    ? { method: 'POST', url: type, ifNoneExist: query }
    : { method: 'PUT', url: `${type}?${query}` };
  return { fullUrl: e.fullUrl, resource: e.resource, request };
}
