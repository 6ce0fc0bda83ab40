// readHl7Time is read by hand for speed; it must accept and split exactly what the DTM
// pattern of HL7 v2 2.A.22 did when it was a regex, with the same calendar checks.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readHl7Time } from './hl7-dtm.js';

const DTM = /^(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(?:\.(\d{1,4}))?([+-]\d{4})?$/;
const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** The regex reader readHl7Time replaced (Date.UTC's calendar, years 0-99 read as 1900-1999). */
function byRegex(raw: string): Record<string, string> | undefined {
  const m = DTM.exec(raw.trim());
  if (!m) return undefined;
  const [, year, month, day, hour, minute, second, fraction, offset] = m;
  const y = +year! <= 99 ? 1900 + +year! : +year!;
  const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  const days = month === undefined ? 31 : +month === 2 && leap ? 29 : MONTH_DAYS[+month - 1]!;
  if (month !== undefined && (+month < 1 || +month > 12)) return undefined;
  if (day !== undefined && (+day < 1 || +day > days)) return undefined;
  if (hour !== undefined && +hour > 23) return undefined;
  if ((minute !== undefined && +minute > 59) || (second !== undefined && +second > 59)) return undefined;
  if (offset !== undefined && (+offset.slice(1, 3) > 14 || +offset.slice(3) > 59)) return undefined;
  if (year === '0000') return undefined;
  const parts = { year, month, day, hour, minute, second, fraction, offset };
  return Object.fromEntries(Object.entries(parts).filter(([, v]) => v !== undefined)) as Record<string, string>;
}

const digits = (min: number, max: number) => fc.stringMatching(new RegExp(`^[0-9]{${min},${max}}$`));

/** Mostly DTM-shaped text: digits, an optional fraction and offset, stray characters and spaces. */
const dtmLike = fc.tuple(
  fc.constantFrom('', ' ', '\t'), digits(0, 16), fc.option(fc.tuple(fc.constant('.'), digits(0, 6))),
  fc.option(fc.tuple(fc.constantFrom('+', '-'), digits(0, 6))), fc.constantFrom('', ' ', 'Z', 'x', '.', '-'),
).map(([lead, d, frac, off, tail]) => `${lead}${d}${frac ? frac.join('') : ''}${off ? off.join('') : ''}${tail}`);

describe('readHl7Time', () => {
  it('reads exactly what the DTM regex read, with the same parts', () => {
    fc.assert(fc.property(fc.oneof(dtmLike, fc.string({ maxLength: 24 })), (raw) => {
      expect(readHl7Time(raw)).toEqual(byRegex(raw));
    }), { numRuns: 20_000 });
  });

  it.each([
    // 0004 is read as 1904, a leap year, as Date.UTC did
    ['20240229', true], ['20230229', false], ['19000229', false], ['00040229', true], ['0000', false],
    ['2024030514', true], ['20240305146', false], ['20240305.1', true], ['2024.12345', false],
    ['20240305143000.1234-0500', true], ['20240305143000-1500', false], ['20240305143000+1459', true],
  ])('%s valid: %s', (raw, ok) => {
    expect(readHl7Time(raw) !== undefined).toBe(ok);
    expect(readHl7Time(raw)).toEqual(byRegex(raw));
  });
});
