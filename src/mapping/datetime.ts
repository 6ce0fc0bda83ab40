// HL7 v2 DTM/DT/TS -> FHIR date, dateTime and instant (HL7 v2 2.A.22; FHIR R4 datatypes 2.24.0).
// Partial precision is kept (YYYY, YYYY-MM, YYYY-MM-DD). A FHIR dateTime with a time needs seconds
// and a zone: missing minutes/seconds are written as 00 and a missing offset is the site's time zone
// (SiteConfig.timeZone, default UTC). An instant is only produced when the sender gave seconds.

const DTM = /^(\d{4})(\d{2})?(\d{2})?(\d{2})?(\d{2})?(\d{2})?(?:\.(\d{1,4}))?([+-]\d{4})?$/;

export interface Hl7Time {
  year: string; month?: string; day?: string; hour?: string; minute?: string; second?: string;
  fraction?: string; offset?: string;
}

/** Splits an HL7 DTM; undefined when it is not one (or names an impossible month/day/hour). */
export function readHl7Time(raw: string): Hl7Time | undefined {
  const m = DTM.exec(raw.trim());
  if (!m) return undefined;
  const [, year, month, day, hour, minute, second, fraction, offset] = m;
  if (month !== undefined && (+month < 1 || +month > 12)) return undefined;
  if (day !== undefined && (+day < 1 || +day > daysIn(+year!, +month!))) return undefined;
  if (hour !== undefined && +hour > 23) return undefined;
  if (minute !== undefined && +minute > 59) return undefined;
  if (second !== undefined && +second > 59) return undefined;
  if (offset !== undefined && (+offset.slice(1, 3) > 14 || +offset.slice(3) > 59)) return undefined;
  if (year === '0000') return undefined;
  const t: Hl7Time = { year: year! };
  if (month !== undefined) t.month = month;
  if (day !== undefined) t.day = day;
  if (hour !== undefined) t.hour = hour;
  if (minute !== undefined) t.minute = minute;
  if (second !== undefined) t.second = second;
  if (fraction !== undefined) t.fraction = fraction;
  if (offset !== undefined) t.offset = offset;
  return t;
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

