// HMAC-SHA-256 (RFC 2104, FIPS 180-4) over 16-bit units, with its state kept between calls, so that
// a resource id costs two or three compression rounds and no allocation. node:crypto computes the
// same MAC (test/mapping/ids.test.ts checks it against createHmac), but each createHmac call pays
// for a new native object: ~1.5-3.5 µs per id against ~0.5 µs here, and an ORU mints ~20 ids. The
// key's inner and outer blocks are compressed once per key (RFC 2104 section 4, "precomputed
// values"), and keys that share leading parts (every OBX of an order) share that state too.
import { createHash } from 'node:crypto';

/** FIPS 180-4 section 4.2.2: the first 32 bits of the fractional parts of the cube roots of the first 64 primes. */
const K = Int32Array.of(
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
);

/** FIPS 180-4 section 5.3.3: the initial hash value. */
const H0 = Int32Array.of(0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19);

/** The message schedule, reused by every compression (one at a time: JavaScript is single-threaded). */
const W = new Int32Array(64);

/** FIPS 180-4 section 6.2.2: one 512-bit block (16 big-endian words) into the state. */
function compress(state: Int32Array, block: Int32Array): void {
  for (let i = 0; i < 16; i++) W[i] = block[i]!;
  for (let i = 16; i < 64; i++) {
    const a = W[i - 15]!;
    const b = W[i - 2]!;
    const s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3);
    const s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10);
    W[i] = (W[i - 16]! + s0 + W[i - 7]! + s1) | 0;
  }
  let a = state[0]!, b = state[1]!, c = state[2]!, d = state[3]!;
  let e = state[4]!, f = state[5]!, g = state[6]!, h = state[7]!;
  for (let i = 0; i < 64; i++) {
    const s1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (h + s1 + ((e & f) ^ (~e & g)) + K[i]! + W[i]!) | 0;
    const s0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (s0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    h = g; g = f; f = e; e = (d + t1) | 0;
    d = c; c = b; b = a; a = (t1 + t2) | 0;
  }
  state[0] = (state[0]! + a) | 0; state[1] = (state[1]! + b) | 0; state[2] = (state[2]! + c) | 0; state[3] = (state[3]! + d) | 0;
  state[4] = (state[4]! + e) | 0; state[5] = (state[5]! + f) | 0; state[6] = (state[6]! + g) | 0; state[7] = (state[7]! + h) | 0;
}

/**
 * A SHA-256 computation in progress over a stream of 16-bit units (two bytes each, big-endian): the
 * state after the whole blocks so far and the units of the block being filled.
 */
export class Sha256Units {
  readonly state = new Int32Array(8);
  /** The block being filled: 32 units, two per big-endian word. */
  readonly block = new Int32Array(16);
  /** Units in `block` (0..31). */
  filled = 0;
  /** Units absorbed in all (for the length in the padding). */
  total = 0;

  constructor() {
    this.state.set(H0);
  }

  /** This computation's state copied into `to` (a fork: both go on independently). */
  copyTo(to: Sha256Units): Sha256Units {
    to.state.set(this.state);
    to.block.set(this.block);
    to.filled = this.filled;
    to.total = this.total;
    return to;
  }

  unit(u: number): void {
    const i = this.filled >>> 1;
    if ((this.filled & 1) === 0) this.block[i] = (u & 0xffff) << 16;
    else this.block[i] = this.block[i]! | (u & 0xffff);
    this.total++;
    if (++this.filled === 32) {
      compress(this.state, this.block);
      this.filled = 0;
    }
  }

  /** The string's UTF-16 code units, in order. */
  units(s: string): void {
    for (let i = 0; i < s.length; i++) this.unit(s.charCodeAt(i));
  }

  /** A 32-bit word as two units (high first). */
  word(w: number): void {
    this.unit(w >>> 16);
    this.unit(w & 0xffff);
  }

  /** FIPS 180-4 section 5.1.1 padding, then the digest's eight words into `out`. The computation is spent. */
  finish(out: Int32Array): void {
    const bits = this.total * 16;
    const i = this.filled >>> 1;
    // the 0x80 byte: at the high byte of the next unit (data is always whole units)
    if ((this.filled & 1) === 0) this.block[i] = 0x80000000 | 0;
    else this.block[i] = this.block[i]! | 0x8000;
    for (let j = i + 1; j < 16; j++) this.block[j] = 0;
    if (i >= 14) { // no room for the 64-bit length: it goes in a block of its own
      compress(this.state, this.block);
      this.block.fill(0);
    }
    this.block[14] = Math.floor(bits / 0x100000000) | 0;
    this.block[15] = bits | 0;
    compress(this.state, this.block);
    out.set(this.state);
  }
}

/** An HMAC-SHA-256 key made ready: the states after its inner and outer pad blocks (RFC 2104). */
export class HmacSha256 {
  private readonly inner = new Sha256Units();
  private readonly outer = new Sha256Units();
  private readonly outerRun = new Sha256Units();
  private readonly innerDigest = new Int32Array(8);

  constructor(key: Uint8Array) {
    // RFC 2104 section 2: a key longer than the block is hashed first (once per key: node:crypto)
    const k = key.length > 64 ? createHash('sha256').update(key).digest() : key;
    for (let i = 0; i < 64; i += 2) {
      const hi = k[i] ?? 0;
      const lo = k[i + 1] ?? 0;
      this.inner.unit(((hi ^ 0x36) << 8) | (lo ^ 0x36));
      this.outer.unit(((hi ^ 0x5c) << 8) | (lo ^ 0x5c));
    }
  }

  /** A new computation of this key's MAC, its key block already absorbed: feed it units, then `mac`. */
  start(into: Sha256Units = new Sha256Units()): Sha256Units {
    return this.inner.copyTo(into);
  }

  /** The MAC of the message fed to `run` (from start()), as eight big-endian words into `out`. */
  mac(run: Sha256Units, out: Int32Array): void {
    run.finish(this.innerDigest);
    const o = this.outer.copyTo(this.outerRun);
    for (let i = 0; i < 8; i++) o.word(this.innerDigest[i]!);
    o.finish(out);
  }
}
