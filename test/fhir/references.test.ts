// Rewriting a transaction Bundle's references: only `reference` elements change, the input is never
// modified, and what holds no rewritten reference is shared rather than copied.
import { describe, expect, it } from 'vitest';
import { collectReferences, rewriteReferences } from '../../src/fhir/references.js';

const observation = () => ({
  resourceType: 'Observation',
  id: 'o1',
  code: { coding: [{ system: 'http://loinc.org', code: '2823-3', display: 'urn:uuid:p1' }] },
  subject: { reference: 'urn:uuid:p1', display: 'not a reference: urn:uuid:p1' },
  performer: [{ reference: 'Organization/lab' }, { reference: 'urn:uuid:e1' }],
  note: [{ text: 'reference' }],
});

describe('rewriteReferences', () => {
  it('replaces mapped references only, in `reference` elements only', () => {
    const map = new Map([['urn:uuid:p1', 'Patient/123'], ['urn:uuid:e1', 'Encounter/9']]);
    const out = rewriteReferences(observation(), map);
    expect(out).toEqual({
      ...observation(),
      subject: { reference: 'Patient/123', display: 'not a reference: urn:uuid:p1' },
      performer: [{ reference: 'Organization/lab' }, { reference: 'Encounter/9' }],
    });
  });

  it('leaves its input as it was and shares the parts it did not change', () => {
    const input = observation();
    const before = structuredClone(input);
    const out = rewriteReferences(input, new Map([['urn:uuid:p1', 'Patient/123']]));
    expect(input).toEqual(before);
    expect(out).not.toBe(input);
    expect(out.subject).not.toBe(input.subject);
    expect(out.code).toBe(input.code);
    expect(out.performer).toBe(input.performer);
    expect(out.note).toBe(input.note);
  });

  it('returns its input itself when nothing is mapped', () => {
    const input = observation();
    expect(rewriteReferences(input, new Map([['urn:uuid:other', 'Patient/1']]))).toBe(input);
  });
});

describe('collectReferences', () => {
  it('finds every `reference` string, nested in objects and arrays, and nothing else', () => {
    expect(collectReferences(observation())).toEqual(['urn:uuid:p1', 'Organization/lab', 'urn:uuid:e1']);
    expect(collectReferences([{ a: { reference: 'X/1' } }, 'reference', { reference: 7 }])).toEqual(['X/1']);
  });
});
