// Transaction Bundle assembly (issue 3, item 8): deterministic fullUrls (urn:uuid from a hash of the
// resource's business key) and identifier-based conditional requests, so the same message always
// maps to the same Bundle and a replay updates instead of duplicating.
import type { Bundle, BundleEntry, Coding, Identifier, Resource } from 'fhir/r4.js';
import { KEY_SEPARATOR, URI_SYSTEM, uuidForName } from './ids.js';

export interface Entry<R extends Resource = Resource> {
  fullUrl: string;
  resource: R;
  /** 'create': POST with ifNoneExist on the identifier; 'upsert': conditional PUT on the identifier. */
  mode: 'create' | 'upsert';
  /** The identifier the conditional request matches on. */
  match: Identifier;
}

/** The synthetic identifier of a resource without a business identifier: its mapping key as a URI. */
export function keyIdentifier(key: readonly string[]): Identifier {
  return { system: URI_SYSTEM, value: `urn:uuid:${uuidForName(key.join(KEY_SEPARATOR))}` };
}

/** uuidFor(resourceType, ...key), without spreading the key into a new array. */
export function fullUrlFor(resourceType: string, key: readonly string[]): string {
  const name = key.length ? `${resourceType}${KEY_SEPARATOR}${key.join(KEY_SEPARATOR)}` : resourceType;
  return `urn:uuid:${uuidForName(name)}`;
}

/** FHIR search token `system|value`, each part URL-encoded (the bar kept, as the spec writes it). */
export function identifierQuery(id: Identifier): string {
  const value = queryEncode(id.value ?? '');
  return id.system ? `identifier=${queryEncode(id.system)}|${value}` : `identifier=${value}`;
}

/** What encodeURIComponent leaves alone, plus the ':' '/' '@' queryEncode puts back. */
const QUERY_SAFE = /^[A-Za-z0-9\-_.!~*'():/@]*$/;
const REOPENED: Readonly<Record<string, string>> = { '%3A': ':', '%2F': '/', '%40': '@' };

/** RFC 3986 query component: ':' '/' '@' may stand unencoded (kept readable); '|' ',' '$' are FHIR search syntax. */
function queryEncode(s: string): string {
  if (QUERY_SAFE.test(s)) return s; // most systems and values (urn:uuid:..., http://loinc.org): nothing to encode
  return encodeURIComponent(s).replace(/%3A|%2F|%40/g, (m) => REOPENED[m]!);
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
