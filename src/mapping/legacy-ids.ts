// The ids every installation minted before keyed ids (ids.ts): MurmurHash3 x86_128 of the mapping
// key, unkeyed, so anyone could compute them and craft a message to collide with another patient's
// resource. Kept only to re-key an installation that stored resources under them (rekey.ts): mapping
// a stored message with both schemes pairs each old id with its new one. Never used to map anew.
import type { IdMinter, KeyHash, KeyPrefix } from './ids.js';
import { type Murmur3Prefix, murmur3Utf16, murmur3Utf16Continue, murmur3Utf16Join, murmur3Utf16Prefix } from './murmur3.js';

/** What the parts of a key were joined with (never changed while these ids were minted). */
const SEPARATOR = '\u001f';
/** Seed of the mapping-key hash. */
const KEY_SEED = 0x6f1c1d3e;
/** Seed of the per-resource-type masks of fullUrls. */
const TYPE_SEED = 0x1a2b3c4d;

const HEX_DIGITS = Uint8Array.from('0123456789abcdef', (c) => c.charCodeAt(0));
const URN = Buffer.from('urn:uuid:00000000-0000-0000-0000-000000000000', 'latin1');

function hex(x: number, at: number, digits: number): void {
  for (let i = digits - 1; i >= 0; i--) {
    URN[at + i] = HEX_DIGITS[x & 15]!;
    x >>>= 4;
  }
}

/** RFC 9562 section 5.8 (UUIDv8) as `urn:uuid:...`: the hash's bits, version nibble 8 (byte 6), variant 10 (byte 8). */
function urnUuid8(h0: number, h1: number, h2: number, h3: number): string {
  const b = ((h1 & 0xffff0fff) | 0x00008000) >>> 0;
  const c = ((h2 & 0x3fffffff) | 0x80000000) >>> 0;
  hex(h0 >>> 0, 9, 8);
  hex(b >>> 16, 18, 4);
  hex(b & 0xffff, 23, 4);
  hex(c >>> 16, 28, 4);
  hex(c & 0xffff, 33, 4);
  hex(h3 >>> 0, 37, 8);
  return URN.toString('latin1', 0, 45);
}

interface LegacyPrefix extends KeyPrefix {
  readonly hash: Murmur3Prefix;
}

const typeMasks = new Map<string, readonly [number, number, number, number]>();

/** The MurmurHash3 scheme, exactly as it minted ids (its identifiers and fullUrls are UUIDv8). */
export const LEGACY_IDS: IdMinter = {
  legacy: true,
  hash: (key) => murmur3Utf16Join(key, SEPARATOR, KEY_SEED),
  prefix: (parts) => ({ parts, hash: murmur3Utf16Prefix(parts, SEPARATOR, KEY_SEED) }) as LegacyPrefix,
  after: (prefix, rest) => murmur3Utf16Continue((prefix as LegacyPrefix).hash, rest),
  identifierUrn: (h: KeyHash) => urnUuid8(h[0]!, h[1]!, h[2]!, h[3]!),
  fullUrl: (resourceType, h) => {
    let m = typeMasks.get(resourceType);
    if (!m) {
      m = murmur3Utf16(resourceType, TYPE_SEED);
      typeMasks.set(resourceType, m);
    }
    return urnUuid8(h[0]! ^ m[0], h[1]! ^ m[1], h[2]! ^ m[2], h[3]! ^ m[3]);
  },
};
