import { describe, expect, it } from 'vitest';
import { isStorableText } from './index.js';

describe('isStorableText', () => {
  it.each([
    ['plain text', 'Dose clarification', true], ['tab, line feed, carriage return', 'a\tb\nc\rd', true], ['emoji (a surrogate pair)', 'ok 👍', true],
    ['a NUL', 'a\u0000b', false], ['another C0 control', 'a\u001fb', false], ['a lone high surrogate', 'a\ud800b', false], ['a lone low surrogate', 'a\udc00b', false],
  ])('%s -> %s', (_what, s, ok) => {
    expect(isStorableText(s)).toBe(ok);
  });
});
