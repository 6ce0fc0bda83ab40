// Random and mutated messages never throw out of the mapper anything but a MappingError with a reason
// (or, before it, the parser's Hl7Error). A mapped Bundle is always valid FHIR.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { validateFhir } from '../../src/fhir/validate.js';
import { isHl7Error, parseHl7 } from '../../src/hl7/index.js';
import { DEFAULT_SITE_CONFIG, isMappingError, mapHl7Message } from '../../src/mapping/index.js';
import { CONFIG, FIXTURES, hl7Files } from './golden.js';

const seeds = hl7Files(FIXTURES).map((f) => readFileSync(f, 'latin1'));
const ALPHABET = ['|', '^', '~', '\\', '&', '\r', '"', 'X', '0', '9', '.', '-', '+', '<', '>', ' ', 'é', 'OBX', 'PID', 'OBR', 'NM', 'SN', 'ED', 'HH'];

/** Maps text; returns 'ok' or the error's code, and fails the property on any other exception. */
function outcome(text: string, validate: boolean): string {
  let message;
  try { message = parseHl7(text); } catch (e) { if (isHl7Error(e)) return e.code; throw e; }
  try {
    const r = mapHl7Message(message, CONFIG);
    if (validate) expect(validateFhir(r.bundle).issues).toEqual([]);
    JSON.stringify(r.bundle);
    return 'ok';
  } catch (e) {
    if (isMappingError(e)) { expect(e.reason.length).toBeGreaterThan(0); return e.code; }
    throw e;
  }
}

const mutation = fc.record({
  seed: fc.integer({ min: 0, max: seeds.length - 1 }),
  edits: fc.array(fc.record({ at: fc.nat(), del: fc.integer({ min: 0, max: 6 }), ins: fc.array(fc.constantFrom(...ALPHABET), { maxLength: 4 }) }), { minLength: 1, maxLength: 6 }),
});

function mutate(m: { seed: number; edits: { at: number; del: number; ins: string[] }[] }): string {
  let s = seeds[m.seed]!;
  for (const e of m.edits) {
    const at = 8 + (e.at % Math.max(1, s.length - 8)); // keep MSH-1/2 mostly intact so mapping is reached
    s = s.slice(0, at) + e.ins.join('') + s.slice(at + e.del);
  }
  return s;
}

describe('fuzz', () => {
  it('mutated fixtures map or fail with a coded error', () => {
    fc.assert(fc.property(mutation, (m) => { outcome(mutate(m), false); }), { numRuns: 3000 });
  });

  it('mutated fixtures that map still validate', () => {
    fc.assert(fc.property(mutation, (m) => { outcome(mutate(m), true); }), { numRuns: 150 });
  });

  it('random text never throws anything else', () => {
    fc.assert(fc.property(fc.string({ maxLength: 400 }), (s) => { outcome(`MSH|^~\\&|A|B|C|D|20240101||ORU^R01|1|P|2.5\rPID|1||X^^^Y^MR\r${s}`, false); }), { numRuns: 2000 });
  });

  it('the default config maps the fixtures too', () => {
    for (const s of seeds) {
      try { mapHl7Message(parseHl7(s), DEFAULT_SITE_CONFIG); } catch (e) { expect(isMappingError(e)).toBe(true); }
    }
  });
});
