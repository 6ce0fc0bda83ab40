// Deterministic resource identities, keyed per installation. A resource's mapping key (its type's
// business key: the MRN, the filler order number and OBX-3/OBX-4, ...) is MACed with HMAC-SHA-256
// under the installation's secret (mapHl7Message's `idKey`: at least 128 bits, stored once per
// installation, src/store/id-key.ts), so the same message and config map to the same ids on every
// replica and replay, and nobody without the secret can compute, or aim a crafted message at,
// another patient's ids. The unkeyed MurmurHash3 ids this replaces could be collided on purpose,
// and a collision overwrote the other resource (legacy-ids.ts keeps them for the one-time re-keying).
//
// Of the 256-bit MAC, bits 0-127 are the resource's synthetic identifier and bits 128-255, XOR a
// fixed mask per resource type, its fullUrl (ServiceRequest and DiagnosticReport share their
// order's key). Both are written as `urn:uuid:` + 32 hex digits in UUID layout: FHIR's uuid pattern,
// carrying all 128 MAC bits (RFC 9562 version and variant bits would replace 6 of them; nothing
// reads these ids as RFC 9562 UUIDs). 128 bits: a forger who cannot compute the MAC has a 2^-128
// chance per try of hitting a given id, ~2^-88 of hitting any of a trillion stored ones.
//
// Cost: the MAC is computed by hmac-sha256.ts with the key's pad blocks, and the leading parts
// shared by every OBX of an order, absorbed once: ~2-3 SHA-256 compressions per id (bench map).
import { createHash } from 'node:crypto';
import { HmacSha256, Sha256Units } from './hmac-sha256.js';
import { MappingError } from './errors.js';

/** A mapping key's hash, opaque outside the IdMinter that made it. */
export type KeyHash = ArrayLike<number>;

/** The leading parts of mapping keys that share them, hashed once (IdMinter.prefix). */
export interface KeyPrefix {
  readonly parts: readonly string[];
}

/** How one message's resource ids are made (the keyed scheme, or legacy-ids.ts for re-keying). */
export interface IdMinter {
  /** Whether this is the old MurmurHash3 scheme (its keys differ in one place: encounter.ts). */
  readonly legacy: boolean;
  hash(key: readonly string[]): KeyHash;
  prefix(parts: readonly string[]): KeyPrefix;
  /** hash([...prefix.parts, ...rest]), hashing only `rest`. */
  after(prefix: KeyPrefix, rest: readonly string[]): KeyHash;
  /** `urn:uuid:...`: the value of a resource's synthetic identifier. */
  identifierUrn(h: KeyHash): string;
  /** `urn:uuid:...`: the fullUrl of the resource of this type with this key. */
  fullUrl(resourceType: string, h: KeyHash): string;
}

/** Shortest secret accepted: 128 bits (NIST SP 800-107 r1 section 5.3.4: an HMAC key of at least the security wanted). */
export const MIN_ID_KEY_BYTES = 16;

/** Lower-case hex digits by value, as char codes. */
const HEX_DIGITS = Uint8Array.from('0123456789abcdef', (c) => c.charCodeAt(0));

/**
 * The text of an id is written into this buffer and read out once: cheaper than joining 16
 * two-digit strings, whose pieces were joined again by whatever read the id next (CPU profile).
 */
const URN = Buffer.from('urn:uuid:00000000-0000-0000-0000-000000000000', 'latin1');

function hex8(x: number, at: number): void {
  for (let i = 7; i >= 0; i--) {
    URN[at + i] = HEX_DIGITS[x & 15]!;
    x >>>= 4;
  }
}

function hex4(x: number, at: number): void {
  for (let i = 3; i >= 0; i--) {
    URN[at + i] = HEX_DIGITS[x & 15]!;
    x >>>= 4;
  }
}

/** Four 32-bit words as `urn:uuid:xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, every bit kept. */
function urn128(a: number, b: number, c: number, d: number): string {
  hex8(a >>> 0, 9);
  hex4(b >>> 16, 18);
  hex4(b & 0xffff, 23);
  hex4(c >>> 16, 28);
  hex4(c & 0xffff, 33);
  hex8(d >>> 0, 37);
  return URN.toString('latin1', 0, 45);
}

/** Per resource type: 128 fixed bits (SHA-256 of the type's name) XORed into its fullUrls. */
const typeMasks = new Map<string, Int32Array>();

function typeMask(resourceType: string): Int32Array {
  let m = typeMasks.get(resourceType);
  if (!m) {
    const d = createHash('sha256').update(`switchboard fullUrl mask ${resourceType}`).digest();
    m = Int32Array.of(d.readInt32BE(0), d.readInt32BE(4), d.readInt32BE(8), d.readInt32BE(12));
    typeMasks.set(resourceType, m);
  }
  return m;
}

interface KeyedPrefix extends KeyPrefix {
  readonly run: Sha256Units;
}

/**
 * A key's parts as MACed: each part's length (UTF-16 code units, as a 32-bit word) and then its code
 * units. Length-prefixed, the encoding is injective: no two part lists give the same units, whatever
 * the parts hold (the old join with U+001F relied on the parser never leaving one in a value).
 */
function absorb(run: Sha256Units, parts: readonly string[]): void {
  for (const p of parts) {
    run.word(p.length);
    run.units(p);
  }
}

class KeyedIds implements IdMinter {
  readonly legacy = false;
  private readonly hmac: HmacSha256;
  /** One scratch computation and MAC buffer, reused by every id (one id at a time). */
  private readonly run = new Sha256Units();

  constructor(secret: Uint8Array) {
    this.hmac = new HmacSha256(secret);
  }

  hash(key: readonly string[]): KeyHash {
    const run = this.hmac.start(this.run);
    absorb(run, key);
    const out = new Int32Array(8);
    this.hmac.mac(run, out);
    return out;
  }

  prefix(parts: readonly string[]): KeyPrefix {
    const run = this.hmac.start();
    absorb(run, parts);
    const p: KeyedPrefix = { parts, run };
    return p;
  }

  after(prefix: KeyPrefix, rest: readonly string[]): KeyHash {
    const run = (prefix as KeyedPrefix).run.copyTo(this.run);
    absorb(run, rest);
    const out = new Int32Array(8);
    this.hmac.mac(run, out);
    return out;
  }

  identifierUrn(h: KeyHash): string {
    return urn128(h[0]!, h[1]!, h[2]!, h[3]!);
  }

  fullUrl(resourceType: string, h: KeyHash): string {
    const m = typeMask(resourceType);
    return urn128(h[4]! ^ m[0]!, h[5]! ^ m[1]!, h[6]! ^ m[2]!, h[7]! ^ m[3]!);
  }
}

/** The minter of each secret seen, by the secret's bytes (its pad blocks are compressed once). */
const minters = new Map<string, IdMinter>();
/** Bound on the secrets remembered: a process has one; tests and tools a few. */
const MAX_MINTERS = 16;

/**
 * The keyed id minter for an installation's secret (mapHl7Message / mapCallNote `idKey`). Throws
 * ERR_MAPPING_BAD_ID_KEY when the secret is missing or shorter than 128 bits.
 */
export function keyedIds(secret: Uint8Array | undefined): IdMinter {
  if (!(secret instanceof Uint8Array) || secret.length < MIN_ID_KEY_BYTES) {
    throw new MappingError('ERR_MAPPING_BAD_ID_KEY', `idKey must be at least ${MIN_ID_KEY_BYTES} bytes (128 bits)`);
  }
  const id = Buffer.from(secret.buffer, secret.byteOffset, secret.byteLength).toString('base64');
  let m = minters.get(id);
  if (!m) {
    if (minters.size >= MAX_MINTERS) minters.clear();
    m = new KeyedIds(secret);
    minters.set(id, m);
  }
  return m;
}

/**
 * A published secret, for `switchboard map` when it cannot reach the installation's store and for
 * the golden files: ids made with it are reproducible by anyone, so the gateway never uses it (its
 * key is generated once per installation, src/store/id-key.ts).
 */
export const DEVELOPMENT_ID_KEY: Uint8Array = Buffer.from('switchboard development id key, not a secret', 'latin1');

/** Joins a key's parts where a key is compared as text (never hashed: hashing length-prefixes the parts). */
export const KEY_SEPARATOR = '\u001f';

/** FHIR identifier system for a value that is itself a URI (FHIR R4 Identifier: urn:ietf:rfc:3986). */
export const URI_SYSTEM = 'urn:ietf:rfc:3986';
