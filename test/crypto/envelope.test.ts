// The envelope and the keyring: round trips, and every way a value can fail to open fails closed.
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Keyring, PhiCryptoError, envelopeKeyId, isEnvelope, keyIdAt, newKeyDocument, parseKeyDocument, keyringFromDocument } from '../../src/crypto/index.js';

const key = (b: number) => Buffer.alloc(32, b);
const ring = (active = 'k1', keys = [{ id: 'k1', key: key(1) }, { id: 'k2', key: key(2) }], searchKey = key(9)) => new Keyring({ keys, active, searchKey, random: randomBytes });
const code = (f: () => unknown): string | undefined => {
  try { f(); } catch (e) { return e instanceof PhiCryptoError ? e.code : `not a PhiCryptoError: ${String(e)}`; }
  return undefined;
};

describe('envelope', () => {
  it('round-trips any bytes under any AAD (property)', () => {
    const k = ring();
    fc.assert(fc.property(fc.uint8Array({ maxLength: 4096 }), fc.string(), (bytes, aad) => {
      const sealed = k.seal(bytes, aad);
      expect(isEnvelope(sealed)).toBe(true);
      expect(envelopeKeyId(sealed)).toBe('k1');
      expect(sealed.length).toBe(bytes.length + 33 + 2);
      expect(Buffer.compare(k.open(sealed, aad), Buffer.from(bytes))).toBe(0);
    }));
  });

  it('never holds the plaintext, and two seals of one value differ (fresh IV)', () => {
    const k = ring();
    const text = Buffer.from('PID|1||MRN12345^^^GENHOSP||TESTPATIENT^ALEX||19800229');
    const a = k.seal(text, 'row');
    expect(a.includes(Buffer.from('TESTPATIENT'))).toBe(false);
    expect(a.equals(k.seal(text, 'row'))).toBe(false);
  });

  it('fails closed on any flipped bit (property)', () => {
    const k = ring();
    fc.assert(fc.property(fc.uint8Array({ minLength: 1, maxLength: 256 }), fc.nat(), (bytes, at) => {
      const sealed = k.seal(bytes, 'aad');
      const i = 5 + 2 + (at % (sealed.length - 7)); // past the magic and the key id: IV, tag or ciphertext
      sealed[i] = sealed[i]! ^ 0x01;
      expect(code(() => k.open(sealed, 'aad'))).toBe('ERR_PHI_DECRYPT_FAILED');
    }));
  });

  it.each([
    ['another row (AAD)', (k: Keyring, s: Buffer) => k.open(s, 'fhir_resource\u0000Patient\u0000p2'), 'ERR_PHI_DECRYPT_FAILED'],
    ['a key it does not hold', (_k: Keyring, s: Buffer) => ring('k3', [{ id: 'k3', key: key(3) }]).open(s, 'fhir_resource\u0000Patient\u0000p1'), 'ERR_PHI_KEY_UNKNOWN'],
    ['another key under the same id', (_k: Keyring, s: Buffer) => ring('k1', [{ id: 'k1', key: key(7) }]).open(s, 'fhir_resource\u0000Patient\u0000p1'), 'ERR_PHI_DECRYPT_FAILED'],
    ['clear bytes', (k: Keyring) => k.open(Buffer.from('MSH|^~\\&|'), 'x'), 'ERR_PHI_ENVELOPE_MALFORMED'],
    ['a truncated envelope', (k: Keyring, s: Buffer) => k.open(s.subarray(0, 20), 'fhir_resource\u0000Patient\u0000p1'), 'ERR_PHI_ENVELOPE_MALFORMED'],
  ] as const)('refuses a value opened as %s', (_name, attempt, expected) => {
    const k = ring();
    const sealed = k.seal(Buffer.from('{"resourceType":"Patient"}'), 'fhir_resource\u0000Patient\u0000p1');
    expect(code(() => attempt(k, sealed))).toBe(expected);
  });

  it('opens values under every key it holds, seals under the active one', () => {
    const old = ring('k1');
    const sealed = old.seal(Buffer.from('x'), 'a');
    const rotated = ring('k2');
    expect(rotated.open(sealed, 'a').toString()).toBe('x');
    expect(envelopeKeyId(rotated.seal(Buffer.from('x'), 'a'))).toBe('k2');
  });
});

describe('keyring', () => {
  it('search hashes are deterministic, keyed and separated by domain', () => {
    const a = ring();
    expect(a.searchHash('identifier', 'GENHOSP|MRN1')).toBe(ring().searchHash('identifier', 'GENHOSP|MRN1'));
    expect(a.searchHash('identifier', 'GENHOSP|MRN1')).toHaveLength(16);
    expect(a.searchHash('identifier', 'GENHOSP|MRN1')).not.toBe(a.searchHash('identifier-value', 'GENHOSP|MRN1'));
    expect(a.searchHash('identifier', 'GENHOSP|MRN1')).not.toBe(ring('k1', undefined, key(8)).searchHash('identifier', 'GENHOSP|MRN1'));
  });

  it.each([
    ['an active key it lacks', () => ring('k9')],
    ['a short data key', () => new Keyring({ keys: [{ id: 'k1', key: Buffer.alloc(16) }], active: 'k1', searchKey: key(9), random: randomBytes })],
    ['a short search key', () => new Keyring({ keys: [{ id: 'k1', key: key(1) }], active: 'k1', searchKey: Buffer.alloc(8), random: randomBytes })],
    ['a bad key id', () => new Keyring({ keys: [{ id: 'k 1', key: key(1) }], active: 'k 1', searchKey: key(9), random: randomBytes })],
  ])('refuses %s', (_n, make) => {
    expect(code(make)).toBe('ERR_PHI_KEYS_INVALID');
  });

  it('reads a key document, and names the problem of a bad one without its content', async () => {
    const doc = newKeyDocument(new Date('2026-12-05T10:00:00Z'));
    expect(doc.active).toBe('k20261205');
    const k = await keyringFromDocument(parseKeyDocument(JSON.stringify(doc), 'PHI_KEYS'));
    expect(k.activeId).toBe('k20261205');
    const secret = doc.keys['k20261205']!;
    let message = '';
    try { parseKeyDocument(JSON.stringify({ ...doc, active: 'nope' }), 'PHI_KEYS'); } catch (e) { message = (e as Error).message; }
    expect(message).toMatch(/PHI_KEYS/);
    expect(message).not.toContain(secret);
    expect(code(() => parseKeyDocument('{not json', 'PHI_KEY_FILE'))).toBe('ERR_PHI_KEYS_INVALID');
    expect(keyIdAt(new Date('2026-12-05T10:00:00Z'), ['k20261205', 'k20261205-2'])).toBe('k20261205-3');
  });
});
