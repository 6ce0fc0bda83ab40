// The conditional requests the mapper writes (Type?identifier=system|value) are read back by the FHIR
// store as the very identifier they were made from, whatever characters it holds (search.html#escaping).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseIdentifierToken } from '../../src/fhir/search-values.js';
import { identifierQuery } from '../../src/mapping/bundle.js';

const readBack = (query: string) => parseIdentifierToken(new URLSearchParams(query).get('identifier') ?? '');

describe('identifier conditions', () => {
  it.each([
    ['a backslash (HL7 \\E\\)', 'A\\B'], ['a bar', 'A|B'], ['a comma', 'A,B'], ['a dollar', 'A$B'], ['all of them', '\\|,$'], ['plain', 'MRN100234'],
  ])('round-trip a value with %s', (_what, value) => {
    expect(readBack(identifierQuery({ system: 'urn:oid:2.16.840.1.113883.19.5', value }))).toEqual({ kind: 'exact', key: `urn:oid:2.16.840.1.113883.19.5|${value}` });
  });

  it('property: any system and value read back as themselves', () => {
    const text = fc.string({ unit: 'binary', minLength: 1, maxLength: 30 });
    fc.assert(fc.property(text, text, (system, value) => {
      expect(readBack(identifierQuery({ system, value }))).toEqual({ kind: 'exact', key: `${system}|${value}` });
    }), { numRuns: 2000 });
  });
});
