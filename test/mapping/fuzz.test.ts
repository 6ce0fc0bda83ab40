// Random and mutated messages never throw out of the mapper anything but a MappingError with a reason
// (or, before it, the parser's Hl7Error). A mapped Bundle is always valid FHIR.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseHl7 } from '../../src/hl7/index.js';
import { DEFAULT_SITE_CONFIG, isMappingError, mapHl7Message } from '../../src/mapping/index.js';
import { OPTIONS } from './golden.js';
import { mutate, mutation, outcome, SEEDS } from './mutation.js';
import { hl7Case, messageOf } from '../fuzz/hl7-mutations.js';

/** The property: never anything but a (valid, with `validate`) Bundle or a coded error with a reason. */
function check(text: string, validate: boolean): void {
  expect(outcome(text, validate)).not.toMatchObject({ kind: 'wrong' });
}

describe('fuzz', () => {
  it('mutated fixtures map or fail with a coded error', () => {
    fc.assert(fc.property(mutation, (m) => { check(mutate(m), false); }), { numRuns: 3000 });
  }, 180_000);

  it('mutated fixtures that map still validate', () => {
    fc.assert(fc.property(mutation, (m) => { check(mutate(m), true); }), { numRuns: 1000 });
  }, 180_000);

  it('most mutated fixtures reach the mapper (the parser does not refuse them all)', () => {
    const texts = fc.sample(mutation, { numRuns: 1000 }).map(mutate);
    const parsed = texts.filter((t) => { try { parseHl7(t); return true; } catch { return false; } }).length;
    expect(parsed / texts.length).toBeGreaterThan(0.5);
  });

  it('structure-aware mutations (repeated, dropped and swapped segments, huge repetitions, escapes, other delimiters) map or fail with a coded error', () => {
    fc.assert(fc.property(hl7Case, (c) => { check(messageOf(c, 'FUZZ1'), false); }), { numRuns: 500 });
  }, 180_000);

  it('random text never throws anything else', () => {
    fc.assert(fc.property(fc.string({ maxLength: 400 }), (s) => { check(`MSH|^~\\&|A|B|C|D|20240101||ORU^R01|1|P|2.5\rPID|1||X^^^Y^MR\r${s}`, false); }), { numRuns: 2000 });
  });

  it('the default config maps the fixtures too', () => {
    for (const s of SEEDS) {
      try { mapHl7Message(parseHl7(s), DEFAULT_SITE_CONFIG, OPTIONS); } catch (e) { expect(isMappingError(e)).toBe(true); }
    }
  });
});
