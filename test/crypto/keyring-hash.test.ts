// The keyring's search hash and content digest are HMAC-SHA256 under the search key over
// `domain` NUL `value` (and `digest:domain` NUL content): every stored hash and digest depends on
// these exact bytes, so however they are computed they must equal the plain construction.
import { createHmac, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Keyring } from '../../src/crypto/index.js';

const searchKey = Buffer.alloc(48, 7);
const ring = new Keyring({ keys: [{ id: 'k1', key: Buffer.alloc(32, 1) }], active: 'k1', searchKey, random: randomBytes });
const reference = (domain: string, value: string | Uint8Array): Buffer => createHmac('sha256', searchKey).update(domain).update('\u0000').update(value).digest();

describe('Keyring.searchHash and digest', () => {
  const awkward = ['', '\u0000', '|', 'a\u0000b', 'ünïcødé ✓ 𝄞', '\n\r\t', 'x'.repeat(64), 'y'.repeat(65), 'z'.repeat(100_000)];

  it.each(awkward.flatMap((d) => awkward.map((v) => [d.slice(0, 20), v] as const)))('searchHash(%j, …) is base64url of HMAC-SHA256, 16 characters', (domain, value) => {
    expect(ring.searchHash(domain, value)).toBe(reference(domain, value).toString('base64url').slice(0, 16));
  });

  it('equals createHmac over any domain and value (property)', () => {
    fc.assert(fc.property(fc.string(), fc.string({ unit: 'binary', maxLength: 2000 }), (domain, value) => {
      expect(ring.searchHash(domain, value)).toBe(reference(domain, value).toString('base64url').slice(0, 16));
    }), { numRuns: 2000 });
  });

  it('digest equals createHmac over `digest:domain` NUL content, for text and bytes (property)', () => {
    fc.assert(fc.property(fc.string(), fc.uint8Array({ maxLength: 5000 }), (domain, bytes) => {
      expect(ring.digest(domain, bytes).equals(reference(`digest:${domain}`, bytes))).toBe(true);
      const text = Buffer.from(bytes).toString('latin1');
      expect(ring.digest(domain, text).equals(reference(`digest:${domain}`, text))).toBe(true);
    }), { numRuns: 500 });
    expect(ring.digest('fhir_resource', '').equals(reference('digest:fhir_resource', ''))).toBe(true);
    expect(ring.digest('fhir_resource', Buffer.alloc(1 << 20, 3)).equals(reference('digest:fhir_resource', Buffer.alloc(1 << 20, 3)))).toBe(true);
  });

  it('depends on the search key and keeps domains apart', () => {
    const other = new Keyring({ keys: [{ id: 'k1', key: Buffer.alloc(32, 1) }], active: 'k1', searchKey: Buffer.alloc(48, 8), random: randomBytes });
    expect(other.searchHash('identifier', 'MRN1')).not.toBe(ring.searchHash('identifier', 'MRN1'));
    expect(ring.searchHash('identifier', 'MRN1')).not.toBe(ring.searchHash('identifier-value', 'MRN1'));
    // the separator is part of the input: ('a', 'b\0c') and ('a\0b', 'c') are one byte string
    expect(ring.searchHash('ab', 'c')).not.toBe(ring.searchHash('a', 'bc'));
  });
});
