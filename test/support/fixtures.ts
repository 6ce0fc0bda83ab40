// Reads fixture files (HL7 messages are never pasted inline in tests).
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Public sample messages, copied verbatim into the repository (tests read nothing outside it). */
export const PUBLIC_SAMPLES = path.join(ROOT, 'fixtures/public-samples/hl7');

export function fixture(rel: string): Buffer {
  return readFileSync(path.join(ROOT, 'fixtures', rel));
}

/** A fixture as one MLLP payload: segment breaks normalised to CR, as senders put them on the wire. */
export function wireMessage(rel: string): Buffer {
  return toWire(fixture(rel));
}

export function toWire(b: Buffer): Buffer {
  return Buffer.from(b.toString('latin1').replace(/\r\n|\n/g, '\r').replace(/\r+$/, '') + '\r', 'latin1');
}

export function publicSamples(): string[] {
  try {
    return readdirSync(PUBLIC_SAMPLES).filter((f) => f.endsWith('.hl7')).sort();
  } catch {
    return [];
  }
}
