// Deterministic identities. The same message and config always yield the same ids and fullUrls, so a
// replayed message maps to a byte-identical Bundle (issue 3, item 8). Hashing is pure computation (no
// clock, no randomness): a mapping key's 128-bit MurmurHash3 x86_128 (murmur3.ts, over the key's
// UTF-16 code units, so the same in every process and Node version), written as an RFC 9562
// version-8 ("custom") UUID: 122 hash bits, ample against accidental collisions among billions of
// resources. A resource's synthetic identifier is that UUID; its fullUrl is the same hash XOR a fixed
// mask per resource type, so one hash per resource serves both.
// Not SHA-1 (UUIDv5) any more (issue 3, the lead's decision): SHA-1 was the largest single cost of
// mapping an ORU, and these ids need determinism, not resistance to an attacker. An id is a hash: no
// MRN can be read from it; like any deterministic id of a known key (UUIDv5 included), it hides
// nothing from someone who can guess the key and run the same code.
import { type Murmur3Prefix, murmur3Utf16, murmur3Utf16Continue, murmur3Utf16Join, murmur3Utf16Prefix } from './murmur3.js';

/** Separator of the parts of a mapping key (ASCII unit separator). Never change it: ids would move. */
export const KEY_SEPARATOR = '\u001f';

/** Seed of Switchboard's mapping-key hash (a fixed random number: never change it, ids would move). */
const KEY_SEED = 0x6f1c1d3e;

/** Seed of the per-resource-type masks of fullUrls (fixed random, never change it). */
const TYPE_SEED = 0x1a2b3c4d;

/** The 128-bit hash of a mapping key: four unsigned 32-bit words. */
export type KeyHash = readonly [number, number, number, number];

/** MurmurHash3 x86_128 of the key's parts joined with KEY_SEPARATOR, as UTF-16 (murmur3Utf16). */
export function hashKey(key: readonly string[]): KeyHash {
  return murmur3Utf16Join(key, KEY_SEPARATOR, KEY_SEED);
}

/** The leading parts of mapping keys that share them, hashed once (keyPrefix). */
export interface KeyPrefix {
  readonly parts: readonly string[];
  readonly hash: Murmur3Prefix;
}

/** Every OBX of an order has the order's key and 'OBX' in front of its own parts: hashed once per order. */
export function keyPrefix(parts: readonly string[]): KeyPrefix {
  return { parts, hash: murmur3Utf16Prefix(parts, KEY_SEPARATOR, KEY_SEED) };
}

/** hashKey([...prefix.parts, ...rest]), hashing only `rest` (at least one part). */
export function hashKeyAfter(prefix: KeyPrefix, rest: readonly string[]): KeyHash {
  return murmur3Utf16Continue(prefix.hash, rest);
}

/** Lower-case hex digits by value, as char codes. */
const HEX_DIGITS = Uint8Array.from('0123456789abcdef', (c) => c.charCodeAt(0));

/**
 * The text of an id is written into this buffer and read out once: ~75 ns per id against ~155 ns
 * for a template of 16 two-digit table lookups, whose string pieces were joined again by whatever
 * read the id next (issue 3 profile: ids were ~12% of mapping an ORU).
 */
const URN = Buffer.from('urn:uuid:00000000-0000-0000-0000-000000000000', 'latin1');

/** Writes the 8 hex digits of an unsigned 32-bit number at URN[at..]. */
function hex8(x: number, at: number): void {
  for (let i = 7; i >= 0; i--) {
    URN[at + i] = HEX_DIGITS[x & 15]!;
    x >>>= 4;
  }
}

/** Writes the 4 hex digits of a 16-bit number at URN[at..]. */
function hex4(x: number, at: number): void {
  for (let i = 3; i >= 0; i--) {
    URN[at + i] = HEX_DIGITS[x & 15]!;
    x >>>= 4;
  }
}

/** RFC 9562 section 5.8 (UUIDv8) as `urn:uuid:...`: the hash's bits, version nibble 8 (byte 6), variant 10 (byte 8). */
function urnUuid8(h0: number, h1: number, h2: number, h3: number): string {
  const b = ((h1 & 0xffff0fff) | 0x00008000) >>> 0;
  const c = ((h2 & 0x3fffffff) | 0x80000000) >>> 0;
  hex8(h0 >>> 0, 9);
  hex4(b >>> 16, 18);
  hex4(b & 0xffff, 23);
  hex4(c >>> 16, 28);
  hex4(c & 0xffff, 33);
  hex8(h3 >>> 0, 37);
  return URN.toString('latin1', 0, 45);
}

/** `urn:uuid:` + the key hash as a UUIDv8 (RFC 9562 section 5.8): a resource's synthetic identifier value. */
export function urnUuidOf(h: KeyHash): string {
  return urnUuid8(h[0], h[1], h[2], h[3]);
}

const typeMasks = new Map<string, KeyHash>();

/**
 * The fullUrl (`urn:uuid:...`) of a resource of this type with this key hash: the hash XOR a fixed
 * mask per resource type, so one hash serves both the resource's identifier and its fullUrl (which
 * differ, and differ between types sharing a key), without hashing the key twice.
 */
export function fullUrlUrnOf(resourceType: string, h: KeyHash): string {
  let m = typeMasks.get(resourceType);
  if (!m) {
    m = murmur3Utf16(resourceType, TYPE_SEED);
    typeMasks.set(resourceType, m);
  }
  return urnUuid8(h[0] ^ m[0], h[1] ^ m[1], h[2] ^ m[2], h[3] ^ m[3]);
}

/** FHIR identifier system for a value that is itself a URI (FHIR R4 Identifier: urn:ietf:rfc:3986). */
export const URI_SYSTEM = 'urn:ietf:rfc:3986';
