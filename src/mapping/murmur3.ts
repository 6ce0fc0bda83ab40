// MurmurHash3 x86_128 (Austin Appleby, public domain; SMHasher's MurmurHash3.cpp), the 128-bit
// variant built from 32-bit operations, so JavaScript runs it with Math.imul and no BigInt. It is not
// cryptographic: it is fast, well-distributed and deterministic, which is what mapping ids need
// (ids.ts). Verified against SMHasher's verification value (0xB3ECE62A) in murmur3.test.ts.

const C1 = 0x239b961b;
const C2 = 0xab0e9789;
const C3 = 0x38b34ae5;
const C4 = 0xa1e38b93;

const rotl = (x: number, r: number): number => (x << r) | (x >>> (32 - r));

/** SMHasher fmix32: the avalanche step of the finalisation. */
function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * The four 32-bit words of the 128-bit hash, as SMHasher writes them (h1..h4, each little-endian).
 * Input: `length` bytes as little-endian 32-bit words, zero-padded to a whole 16-byte block (a zero
 * tail word mixes to 0, so the padding gives what SMHasher's byte-by-byte tail switch gives).
 */
export function murmur3x86x128(words: Uint32Array, length: number, seed = 0): [number, number, number, number] {
  const state = SCRATCH.fill(seed | 0);
  absorb(state, words, length >>> 4);
  return finish(state, words, (length >>> 4) << 2, length);
}

/** The running state of the hash being computed (one at a time: JavaScript is single-threaded). */
const SCRATCH = new Int32Array(4);

/** Mixes whole 16-byte blocks 0..blocks-1 of words into state (h1..h4). */
function absorb(state: Int32Array, words: Uint32Array, blocks: number): void {
  let h1 = state[0]!, h2 = state[1]!, h3 = state[2]!, h4 = state[3]!;
  for (let b = 0; b < blocks; b++) {
    const w = b << 2;
    h1 ^= Math.imul(rotl(Math.imul(words[w]!, C1), 15), C2);
    h1 = (Math.imul(rotl(h1, 19) + h2, 5) + 0x561ccd1b) | 0;
    h2 ^= Math.imul(rotl(Math.imul(words[w + 1]!, C2), 16), C3);
    h2 = (Math.imul(rotl(h2, 17) + h3, 5) + 0x0bcaa747) | 0;
    h3 ^= Math.imul(rotl(Math.imul(words[w + 2]!, C3), 17), C4);
    h3 = (Math.imul(rotl(h3, 15) + h4, 5) + 0x96cd1c35) | 0;
    h4 ^= Math.imul(rotl(Math.imul(words[w + 3]!, C4), 18), C1);
    h4 = (Math.imul(rotl(h4, 13) + h1, 5) + 0x32ac3b17) | 0;
  }
  state[0] = h1; state[1] = h2; state[2] = h3; state[3] = h4;
}

/** The tail (the zero-padded block at word `tail`, when length is not a whole number of blocks) and finalisation. */
function finish(state: Int32Array, words: Uint32Array, tail: number, length: number): [number, number, number, number] {
  let h1 = state[0]!, h2 = state[1]!, h3 = state[2]!, h4 = state[3]!;
  if (length & 15) {
    h1 ^= Math.imul(rotl(Math.imul(words[tail]!, C1), 15), C2);
    h2 ^= Math.imul(rotl(Math.imul(words[tail + 1]!, C2), 16), C3);
    h3 ^= Math.imul(rotl(Math.imul(words[tail + 2]!, C3), 17), C4);
    h4 ^= Math.imul(rotl(Math.imul(words[tail + 3]!, C4), 18), C1);
  }
  h1 ^= length; h2 ^= length; h3 ^= length; h4 ^= length;
  h1 = (h1 + h2 + h3 + h4) | 0;
  h2 = (h2 + h1) | 0; h3 = (h3 + h1) | 0; h4 = (h4 + h1) | 0;
  h1 = fmix(h1); h2 = fmix(h2); h3 = fmix(h3); h4 = fmix(h4);
  h1 = (h1 + h2 + h3 + h4) | 0;
  h2 = (h2 + h1) | 0; h3 = (h3 + h1) | 0; h4 = (h4 + h1) | 0;
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0];
}

/** Reused input buffer of murmur3Utf16 (one hash at a time: JavaScript is single-threaded). */
let buffer = new Uint32Array(64);

/**
 * MurmurHash3 x86_128 of a string's UTF-16LE encoding (two code units per 32-bit word). UTF-16 is
 * what an ECMAScript string is by specification, so the bytes hashed, and the hash, are the same in
 * every process and Node version, with no encoding step per call.
 */
export function murmur3Utf16(s: string, seed = 0): [number, number, number, number] {
  return murmur3Utf16Join([s], '', seed);
}

/** murmur3Utf16(parts.join(separator)), without building the joined string (one per mapping key). */
export function murmur3Utf16Join(parts: readonly string[], separator: string, seed = 0): [number, number, number, number] {
  let units = separator.length * Math.max(parts.length - 1, 0);
  for (const p of parts) units += p.length;
  const words = ((units + 7) >>> 3) << 2; // whole 16-byte blocks
  if (buffer.length < words) buffer = new Uint32Array(words * 2);
  buffer.fill(0, 0, words); // the zero padding murmur3x86x128 expects
  let at = 0; // code units written
  for (let i = 0; i < parts.length; i++) {
    if (i > 0) at = put(separator, at);
    at = put(parts[i]!, at);
  }
  return murmur3x86x128(buffer, units * 2, seed);
}

/** Writes s's UTF-16 code units into buffer from code unit `at` (two per little-endian word); the next position. */
function put(s: string, at: number): number {
  const words = buffer; // a local: the module binding is re-read on every iteration otherwise
  for (let i = 0; i < s.length; i++, at++) words[at >>> 1]! |= s.charCodeAt(i) << ((at & 1) << 4);
  return at;
}

/**
 * The hash state after the whole blocks of `parts.join(separator) + separator` (nothing for no parts): keys that share a long
 * prefix (every OBX of an order shares the order's key) hash only what follows it (murmur3Utf16Continue).
 */
export interface Murmur3Prefix {
  readonly state: Int32Array;
  /** Code units absorbed into state (a multiple of 8: whole 16-byte blocks). */
  readonly absorbed: number;
  /** The code units after them (fewer than 8), still to be hashed. */
  readonly rest: string;
  readonly separator: string;
}

export function murmur3Utf16Prefix(parts: readonly string[], separator: string, seed = 0): Murmur3Prefix {
  const text = parts.length ? parts.join(separator) + separator : '';
  const absorbed = text.length & ~7;
  const words = absorbed >>> 1;
  if (buffer.length < words) buffer = new Uint32Array(words * 2);
  buffer.fill(0, 0, words);
  put(text.slice(0, absorbed), 0);
  const state = new Int32Array(4).fill(seed | 0);
  absorb(state, buffer, absorbed >>> 3);
  return { state, absorbed, rest: text.slice(absorbed), separator };
}

/**
 * murmur3Utf16Join([...prefixParts, ...parts], separator, seed) for the prefix made by
 * murmur3Utf16Prefix(prefixParts, separator, seed): the same hash, hashing only the rest.
 */
export function murmur3Utf16Continue(prefix: Murmur3Prefix, parts: readonly string[]): [number, number, number, number] {
  const { separator, rest } = prefix;
  let units = rest.length + separator.length * Math.max(parts.length - 1, 0);
  for (const p of parts) units += p.length;
  const words = ((units + 7) >>> 3) << 2;
  if (buffer.length < words) buffer = new Uint32Array(words * 2);
  buffer.fill(0, 0, words);
  let at = put(rest, 0);
  for (let i = 0; i < parts.length; i++) {
    if (i > 0) at = put(separator, at);
    at = put(parts[i]!, at);
  }
  const state = SCRATCH;
  state.set(prefix.state);
  absorb(state, buffer, units >>> 3);
  return finish(state, buffer, (units >>> 3) << 2, (prefix.absorbed + units) * 2);
}
