import { isValidClock, isValidDate, isValidOffset, wallTime } from './civil.js';

/**
 * HL7 v2 DTM / DT / TS text (v2.9 2.A.22): `YYYY[MM[DD[HH[MM[SS[.S[S[S[S]]]]]]]]][+/-ZZZZ]`.
 * Partial precision is allowed; what exists is civil.ts's rule (a real date, hours 00-23).
 */

export interface Hl7Time {
  year: string; month?: string; day?: string; hour?: string; minute?: string; second?: string;
  fraction?: string; offset?: string;
}

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;

/** The number of the two ASCII digits at s[i], s[i+1]. */
const two = (s: string, i: number): number => (s.charCodeAt(i) - 0x30) * 10 + s.charCodeAt(i + 1) - 0x30;

/**
 * Splits an HL7 DTM; undefined when it is not one (or names an impossible date or time).
 * Read by hand, not by regex: a regex match plus a Number per captured part cost ~0.8 µs per
 * time and an ORU reads ~8 of them. The syntax is exactly the pattern hl7-dtm.test.ts checks it
 * against: /^(\d{4})(\d{2}){0,5}(\.\d{1,4})?([+-]\d{4})?$/ on the trimmed text.
 */
export function readHl7Time(raw: string): Hl7Time | undefined {
  const s = raw.trim();
  let digits = 0;
  while (digits < s.length && isDigit(s.charCodeAt(digits))) digits++;
  if (digits < 4 || digits > 14 || digits % 2 !== 0) return undefined;
  let i = digits;
  let fraction: string | undefined;
  let offset: string | undefined;
  if (s.charCodeAt(i) === 0x2e) { // '.'
    let end = i + 1;
    while (end < s.length && isDigit(s.charCodeAt(end))) end++;
    if (end === i + 1 || end - i - 1 > 4) return undefined;
    fraction = s.slice(i + 1, end);
    i = end;
  }
  const sign = s.charCodeAt(i);
  if (sign === 0x2b || sign === 0x2d) { // '+' or '-'
    for (let k = i + 1; k < i + 5; k++) if (!isDigit(s.charCodeAt(k))) return undefined;
    offset = s.slice(i, i + 5);
    i += 5;
  }
  if (i !== s.length || !exists(s, digits, offset)) return undefined;
  const t: Hl7Time = { year: s.slice(0, 4) };
  if (digits >= 6) t.month = s.slice(4, 6);
  if (digits >= 8) t.day = s.slice(6, 8);
  if (digits >= 10) t.hour = s.slice(8, 10);
  if (digits >= 12) t.minute = s.slice(10, 12);
  if (digits >= 14) t.second = s.slice(12, 14);
  if (fraction !== undefined) t.fraction = fraction;
  if (offset !== undefined) t.offset = offset;
  return t;
}

/** The date and time the digits name exist (civil.ts), and the offset is one a zone can have. */
function exists(s: string, digits: number, offset: string | undefined): boolean {
  const year = two(s, 0) * 100 + two(s, 2);
  const month = digits >= 6 ? two(s, 4) : 1;
  const day = digits >= 8 ? two(s, 6) : 1;
  if (!isValidDate(year, month, day)) return false;
  if (!isValidClock(digits >= 10 ? two(s, 8) : 0, digits >= 12 ? two(s, 10) : 0, digits >= 14 ? two(s, 12) : 0)) return false;
  return offset === undefined || isValidOffset(two(offset, 1), two(offset, 3));
}

/** Wall ms of a read DTM's fields (missing parts are their start; the fraction is cut to ms). */
export const hl7Wall = (t: Hl7Time): number =>
  wallTime(+t.year, +(t.month ?? 1), +(t.day ?? 1), +(t.hour ?? 0), +(t.minute ?? 0), +(t.second ?? 0), t.fraction === undefined ? 0 : +t.fraction.slice(0, 3).padEnd(3, '0'));

/** A DTM's own offset (`-0500`) in minutes east of UTC, or undefined when it has none. */
export const hl7OffsetMinutes = (t: Hl7Time): number | undefined =>
  t.offset === undefined ? undefined : (t.offset.startsWith('-') ? -1 : 1) * (two(t.offset, 1) * 60 + two(t.offset, 3));
