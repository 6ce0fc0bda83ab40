// HL7 v2 DTM/DT/TS -> FHIR date, dateTime and instant (HL7 v2 2.A.22; FHIR R4 datatypes 2.24.0).
// Partial precision is kept (YYYY, YYYY-MM, YYYY-MM-DD). A FHIR dateTime with a time needs seconds
// and a zone: missing minutes/seconds are written as 00 and a missing offset is the site's time zone
// (SiteConfig.timeZone, default UTC). An instant is only produced when the sender gave seconds.

export interface Hl7Time {
  year: string; month?: string; day?: string; hour?: string; minute?: string; second?: string;
  fraction?: string; offset?: string;
}

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;

/** The number of the two ASCII digits at s[i], s[i+1]. */
const two = (s: string, i: number): number => (s.charCodeAt(i) - 0x30) * 10 + s.charCodeAt(i + 1) - 0x30;

/**
 * Splits an HL7 DTM; undefined when it is not one (or names an impossible month/day/hour).
 * Read by hand, not by regex: a regex match + a Number per captured part cost ~0.8 µs per time and
 * an ORU reads ~8 (issue 3 profile). The syntax is exactly the pattern datetime.test.ts checks it
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
  if (i !== s.length || !plausible(s, digits, offset)) return undefined;
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

/** A real calendar month and day, hour <= 23, minute and second <= 59, offset <= 14:59, year not 0000. */
function plausible(s: string, digits: number, offset: string | undefined): boolean {
  const year = two(s, 0) * 100 + two(s, 2);
  if (year === 0) return false;
  const month = digits >= 6 ? two(s, 4) : 1;
  if (month < 1 || month > 12) return false;
  if (digits >= 8 && (two(s, 6) < 1 || two(s, 6) > daysIn(year, month))) return false;
  if (digits >= 10 && two(s, 8) > 23) return false;
  if (digits >= 12 && two(s, 10) > 59) return false;
  if (digits >= 14 && two(s, 12) > 59) return false;
  return offset === undefined || (two(offset, 1) <= 14 && two(offset, 3) <= 59);
}

/** FHIR `date` (birthDate): the date part only, at the precision given. */
export function toFhirDate(raw: string): string | undefined {
  const t = readHl7Time(raw);
  if (!t) return undefined;
  return [t.year, t.month, t.day].filter((x) => x !== undefined).join('-');
}

/** FHIR `dateTime`: a date at its precision, or a full time with seconds and an offset. */
export function toFhirDateTime(raw: string, zone: string): string | undefined {
  const t = readHl7Time(raw);
  if (!t) return undefined;
  if (t.hour === undefined) return [t.year, t.month, t.day].filter((x) => x !== undefined).join('-');
  return withTime(t, zone);
}

/** FHIR `instant`: only when the sender gave seconds (the zone may come from the site). */
export function toFhirInstant(raw: string, zone: string): string | undefined {
  const t = readHl7Time(raw);
  if (!t || t.second === undefined) return undefined;
  return withTime(t, zone);
}

function withTime(t: Hl7Time, zone: string): string {
  const [mo, d, h, mi, s] = [t.month ?? '01', t.day ?? '01', t.hour ?? '00', t.minute ?? '00', t.second ?? '00'];
  const frac = t.fraction ? `.${t.fraction}` : '';
  const off = t.offset ? `${t.offset.slice(0, 3)}:${t.offset.slice(3)}` : zoneOffset(zone, +t.year, +mo, +d, +h, +mi);
  return `${t.year}-${mo}-${d}T${h}:${mi}:${s}${frac}${off === '+00:00' && !t.offset ? 'Z' : off}`;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
const offsets = new Map<string, string>();

/** Offset (+hh:mm) of local wall time y-m-d h:mi in an IANA zone; memoised per zone and hour. */
export function zoneOffset(zone: string, y: number, m: number, d: number, h: number, mi: number): string {
  if (zone === 'UTC' || zone === 'Etc/UTC') return '+00:00';
  const key = `${zone}|${y}|${m}|${d}|${h}`;
  const hit = offsets.get(key);
  if (hit !== undefined) return hit;
  const local = Date.UTC(y, m - 1, d, h, mi);
  const first = offsetMinutes(zone, local);
  const minutes = offsetMinutes(zone, local - first * 60_000);
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  const out = `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
  if (offsets.size > 10_000) offsets.clear();
  offsets.set(key, out);
  return out;
}

function offsetMinutes(zone: string, utcMs: number): number {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' });
    formatters.set(zone, f);
  }
  const name = f.formatToParts(new Date(utcMs)).find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
  const m = /GMT([+-])(\d{2}):?(\d{2})?/.exec(name);
  if (!m) return 0;
  return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3] ?? 0));
}

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Days in a month of the proleptic Gregorian calendar (what Date.UTC counted, without a Date per read). */
function daysIn(year: number, month: number): number {
  // Date.UTC reads years 0-99 as 1900-1999; a leap year there is still every 4th (1900 is year 0, rejected)
  const y = year <= 99 ? 1900 + year : year;
  const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  return month === 2 && leap ? 29 : MONTH_DAYS[month - 1]!;
}

