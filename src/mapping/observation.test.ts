// The fast path of reference ranges against the pattern it stands in for.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { plainRange, RANGE } from './observation.js';

describe('plainRange', () => {
  it('reads a range exactly as RANGE does, or leaves it to RANGE', () => {
    const text = fc.string({ unit: fc.constantFrom('0', '1', '9', '.', '-', ' ', 'x'), maxLength: 12 });
    fc.assert(fc.property(text, (t) => {
      const fast = plainRange(t);
      if (fast) expect([...fast]).toEqual([...RANGE.exec(t)!]);
    }), { numRuns: 5000 });
  });

  it('takes the common forms', () => {
    expect(plainRange('3.5-5.1')).toEqual(['3.5-5.1', '3.5', '5.1']);
    expect(plainRange('-1--0.5')).toEqual(['-1--0.5', '-1', '-0.5']);
    expect(plainRange('3.5 - 5.1')).toBeUndefined();
    expect(plainRange('3.-5')).toBeUndefined();
    expect(plainRange('<5')).toBeUndefined();
  });
});
