// The code a crash log line carries: known shapes of error code only, never free text.
import { describe, expect, it } from 'vitest';
import { loggableErrorCode } from '../../src/cli/serve.js';

describe('loggableErrorCode', () => {
  it.each([
    [Object.assign(new Error('x'), { code: 'ERR_AUTH_INVALID' }), 'ERR_AUTH_INVALID'],
    [Object.assign(new Error('x'), { code: 'ECONNRESET' }), 'ECONNRESET'],
    [Object.assign(new Error('x'), { code: '57P01' }), '57P01'],
    [Object.assign(new Error('x'), { code: 'CONNECTION_CLOSED' }), 'CONNECTION_CLOSED'],
    [Object.assign(new Error('x'), { code: 'Smith, John 1970-01-01' }), 'other'],
    [Object.assign(new Error('x'), { code: 42 }), 'other'],
    [new Error('no code'), undefined],
    ['a string thrown', undefined],
    [undefined, undefined],
  ])('%#', (e, want) => {
    expect(loggableErrorCode(e)).toBe(want);
  });
});
