// How the routine workers are shared among the processing threads (PROCESSING_THREADS).
import { describe, expect, it } from 'vitest';
import { processingShares } from '../../src/pipeline/index.js';

describe('processingShares', () => {
  it('shares the workers as evenly as can be, the first threads taking the remainder', () => {
    expect(processingShares(2, 2, 8)).toEqual([1, 1]);
    expect(processingShares(5, 2, 8)).toEqual([3, 2]);
    expect(processingShares(4, 3, 8)).toEqual([2, 1, 1]);
  });

  it('never starts more threads than workers or than the machine has cores', () => {
    expect(processingShares(1, 4, 8)).toEqual([1]);
    expect(processingShares(4, 4, 2)).toEqual([2, 2]);
    expect(processingShares(2, 2, 1)).toEqual([2]);
  });
});
