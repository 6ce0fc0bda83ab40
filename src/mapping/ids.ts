// Deterministic identities. The same message and config always yield the same fullUrls, so a replayed
// message maps to a byte-identical Bundle (issue 3, item 8). Hashing is pure computation (no clock,
// no randomness): a UUID in the style of RFC 9562 version 5 (SHA-1 over a namespace and a name).
import { hash } from 'node:crypto';

/** Namespace of Switchboard's mapping keys (a fixed random UUID, never change it: ids would move). */
const NAMESPACE_TEXT = '6f1c1d3e-8a2b-4c6d-9e0f-1a2b3c4d5e6f\u001f';

/** In the style of RFC 9562 section 5.5: SHA-1(namespace || name), version nibble 5, variant 10. */
export function uuidFor(...parts: readonly string[]): string {
  // crypto.hash (Node >= 20.12): one-shot, several times cheaper than createHash for short inputs
  const h = hash('sha1', NAMESPACE_TEXT + parts.join('\u001f'), 'buffer');
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

export const urnFor = (...parts: readonly string[]): string => `urn:uuid:${uuidFor(...parts)}`;

/** FHIR identifier system for a value that is itself a URI (FHIR R4 Identifier: urn:ietf:rfc:3986). */
export const URI_SYSTEM = 'urn:ietf:rfc:3986';
