// Keyed resource ids (src/mapping/ids.ts): HMAC-SHA-256 under the installation's key, checked bit for
// bit against node:crypto; the legacy MurmurHash3 ids still reproduced exactly, for re-keying.
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseHl7 } from '../../src/hl7/index.js';
import { HmacSha256 } from '../../src/mapping/hmac-sha256.js';
import { keyedIds } from '../../src/mapping/ids.js';
import { LEGACY_IDS } from '../../src/mapping/legacy-ids.js';
import { mapWith } from '../../src/mapping/map-message.js';
import { DEVELOPMENT_ID_KEY, hl7IdPairs, mapHl7Message } from '../../src/mapping/index.js';
import { CONFIG, FIXTURES, OPTIONS } from './golden.js';

/** The units ids.ts MACs for a key: per part, its length as a 32-bit word, then its UTF-16 code units; big-endian. */
function encoded(parts: readonly string[]): Buffer {
  return Buffer.concat(parts.flatMap((p) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(p.length);
    return [len, Buffer.from(p, 'utf16le').swap16()];
  }));
}

const uuid = (hex: string): string => `urn:uuid:${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
const xor = (a: Buffer, b: Buffer): Buffer => Buffer.from(a.map((x, i) => x ^ b[i]!));
const parts = fc.array(fc.string({ unit: 'binary', maxLength: 40 }), { minLength: 1, maxLength: 6 });
const key = fc.uint8Array({ minLength: 16, maxLength: 100 });

describe('HMAC-SHA-256 over 16-bit units', () => {
  it('equals node:crypto createHmac for any key and message (property)', () => {
    fc.assert(fc.property(key, fc.string({ unit: 'binary', maxLength: 300 }), (k, s) => {
      const h = new HmacSha256(k);
      const run = h.start();
      run.units(s);
      const out = new Int32Array(8);
      h.mac(run, out);
      const mine = Buffer.from(Array.from(out).flatMap((w) => [w >>> 24, (w >>> 16) & 255, (w >>> 8) & 255, w & 255]));
      expect(mine.toString('hex')).toBe(createHmac('sha256', k).update(Buffer.from(s, 'utf16le').swap16()).digest('hex'));
    }), { numRuns: 500 });
  });
});

describe('keyed ids', () => {
  it('identifier = MAC bits 0-127, fullUrl = bits 128-255 XOR SHA-256 of the type (property, against node:crypto)', () => {
    fc.assert(fc.property(key, parts, fc.constantFrom('Patient', 'Observation', 'Encounter'), (k, p, type) => {
      const ids = keyedIds(k);
      const mac = createHmac('sha256', k).update(encoded(p)).digest();
      const mask = createHash('sha256').update(`switchboard fullUrl mask ${type}`).digest().subarray(0, 16);
      const h = ids.hash(p);
      expect(ids.identifierUrn(h)).toBe(uuid(mac.subarray(0, 16).toString('hex')));
      expect(ids.fullUrl(type, h)).toBe(uuid(xor(mac.subarray(16, 32), mask).toString('hex')));
    }), { numRuns: 300 });
  });

  it('a key hashed after a shared prefix is the same as hashed whole (property)', () => {
    fc.assert(fc.property(key, parts, parts, (k, head, tail) => {
      const ids = keyedIds(k);
      expect(ids.identifierUrn(ids.after(ids.prefix(head), tail))).toBe(ids.identifierUrn(ids.hash([...head, ...tail])));
    }), { numRuns: 300 });
  });

  it('keeps parts apart: the separator join that the unkeyed ids used made these two one key', () => {
    const ids = keyedIds(DEVELOPMENT_ID_KEY);
    expect(ids.identifierUrn(ids.hash(['a\u001fb', 'c']))).not.toBe(ids.identifierUrn(ids.hash(['a', 'b\u001fc'])));
    expect(LEGACY_IDS.identifierUrn(LEGACY_IDS.hash(['a\u001fb', 'c']))).toBe(LEGACY_IDS.identifierUrn(LEGACY_IDS.hash(['a', 'b\u001fc'])));
  });

  it('are the same for the same key and differ between installations', () => {
    const message = parseHl7(readFileSync(`${FIXTURES}/oru/potassium-critical-hh.hl7`));
    const urls = (k: Uint8Array) => mapHl7Message(message, CONFIG, { idKey: k }).bundle.entry!.map((e) => e.fullUrl);
    const k1 = randomBytes(32);
    expect(urls(Buffer.from(k1))).toEqual(urls(k1));
    const other = urls(randomBytes(32));
    for (const [i, u] of urls(k1).entries()) expect(u).not.toBe(other[i]);
  });

  it.each([['no key', undefined], ['15 bytes', new Uint8Array(15)], ['a string', 'secret-secret-secret']])('refuses %s as ERR_MAPPING_BAD_ID_KEY', (_what, idKey) => {
    const message = parseHl7(readFileSync(`${FIXTURES}/oru/potassium-critical-hh.hl7`));
    expect(() => mapHl7Message(message, CONFIG, { idKey } as never)).toThrow(expect.objectContaining({ code: 'ERR_MAPPING_BAD_ID_KEY' }));
  });
});

describe('legacy (MurmurHash3) ids, for re-keying only', () => {
  // the ids this fixture had in its golden file before keyed ids (and before the Encounter rule)
  const BEFORE = {
    Patient: 'urn:uuid:c7d7fb7d-2aa9-8d9d-a6f0-65fb5abb0558',
    Encounter: 'urn:uuid:42d38d4a-af6c-84f8-abd7-39e25b005a39',
    ServiceRequest: 'urn:uuid:8591af92-4c31-8c0a-a30c-3ba057bcc0d1',
    Observation: 'urn:uuid:3153cb69-2c4f-8dbb-a51c-bf6392b47bea',
    DiagnosticReport: 'urn:uuid:a93ef36a-02d1-89ee-b81e-163fc479a3d4',
    CommunicationRequest: 'urn:uuid:3bc0369b-ee44-813c-b06e-57128da4ceb3',
  };

  it('are reproduced exactly', () => {
    const message = parseHl7(readFileSync(`${FIXTURES}/oru/potassium-critical-hh.hl7`));
    const entries = mapWith(message, CONFIG, LEGACY_IDS).bundle.entry!;
    expect(Object.fromEntries(entries.map((e) => [e.resource!.resourceType, e.fullUrl]))).toEqual(BEFORE);
  });

  it('pair with the keyed ids of the same message (hl7IdPairs)', () => {
    const message = parseHl7(readFileSync(`${FIXTURES}/oru/potassium-critical-hh.hl7`));
    const now = mapHl7Message(message, CONFIG, OPTIONS).bundle.entry!;
    const pairs = hl7IdPairs(message, CONFIG, OPTIONS);
    for (const e of now) expect(pairs.get(BEFORE[e.resource!.resourceType as keyof typeof BEFORE].slice(9))).toBe(e.fullUrl!.slice(9));
    expect(pairs.get('9db1d777-ab10-825f-897a-0e8d86e5da41')).toBe((now[3]!.resource as unknown as { identifier: { value: string }[] }).identifier[0]!.value.slice(9));
  });
});
