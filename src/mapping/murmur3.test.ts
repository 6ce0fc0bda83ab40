// MurmurHash3 x86_128 against SMHasher's own check, and the string form against the byte form.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { murmur3Utf16, murmur3Utf16Continue, murmur3Utf16Join, murmur3Utf16Prefix, murmur3x86x128 } from './murmur3.js';

/** The hash of a byte array, as SMHasher calls it: the bytes as zero-padded little-endian words. */
function ofBytes(bytes: Uint8Array, seed: number): [number, number, number, number] {
  const padded = new Uint8Array(Math.ceil(bytes.length / 16) * 16);
  padded.set(bytes);
  const words = new Uint32Array(padded.length / 4);
  const view = new DataView(padded.buffer);
  for (let w = 0; w < words.length; w++) words[w] = view.getUint32(4 * w, true);
  return murmur3x86x128(words, bytes.length, seed);
}

/** SMHasher VerificationTest: hash keys 0..255 bytes long with seed 256 - n, then hash the hashes. */
function verificationValue(): number {
  const key = new Uint8Array(256);
  const hashes = new Uint8Array(16 * 256);
  const view = new DataView(hashes.buffer);
  for (let n = 0; n < 256; n++) {
    key[n] = n;
    ofBytes(key.subarray(0, n), 256 - n).forEach((h, j) => view.setUint32(16 * n + 4 * j, h, true));
  }
  return ofBytes(hashes, 0)[0]!;
}

describe('MurmurHash3 x86_128', () => {
  it('matches the SMHasher verification value 0xB3ECE62A', () => {
    expect(verificationValue()).toBe(0xb3ece62a);
  });

  it('hashes the empty input with seed 0 to zero (SMHasher)', () => {
    expect(murmur3Utf16('')).toEqual([0, 0, 0, 0]);
  });

  it('hashes a string as its UTF-16LE bytes', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 80 }), fc.integer({ min: 0, max: 0xffffffff }), (s, seed) => {
      expect(murmur3Utf16(s, seed)).toEqual(ofBytes(Buffer.from(s, 'utf16le'), seed));
    }));
  });

  it('hashes parts as their joined string, without joining', () => {
    fc.assert(fc.property(fc.array(fc.string({ unit: 'binary', maxLength: 20 }), { maxLength: 8 }), fc.string({ maxLength: 2 }), (parts, sep) => {
      expect(murmur3Utf16Join(parts, sep, 7)).toEqual(murmur3Utf16(parts.join(sep), 7));
    }));
  });

  it('hashes a prefix once and continues to the same hash as the whole key', () => {
    const part = fc.string({ unit: 'binary', maxLength: 24 });
    fc.assert(fc.property(fc.array(part, { maxLength: 8 }), fc.array(part, { minLength: 1, maxLength: 5 }), fc.string({ maxLength: 2 }), fc.integer({ min: 0, max: 0xffffffff }), (head, tail, sep, seed) => {
      const prefix = murmur3Utf16Prefix(head, sep, seed);
      expect(murmur3Utf16Continue(prefix, tail)).toEqual(murmur3Utf16Join([...head, ...tail], sep, seed));
      // the prefix is not used up: a second continuation from it is as good as the first
      expect(murmur3Utf16Continue(prefix, ['x', ...tail])).toEqual(murmur3Utf16Join([...head, 'x', ...tail], sep, seed));
    }), { numRuns: 500 });
  });
});
