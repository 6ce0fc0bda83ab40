// HL7 v2 DTM/DT/TS -> FHIR date, dateTime and instant (HL7 v2 2.A.22; FHIR R4 datatypes 2.24.0).
// Partial precision is kept (YYYY, YYYY-MM, YYYY-MM-DD). A FHIR dateTime with a time needs seconds
// and a zone: missing minutes/seconds are written as 00 and a missing offset is the site's time zone
// (SiteConfig.timeZone, default UTC), read by src/time's rule (RFC 5545 3.3.5: a time in a DST gap
// takes the offset before the gap, an ambiguous one its first occurrence). An instant is only
// produced when the sender gave seconds. Reading the DTM and the zone rule live in src/time.
import { formatOffset, offsetOfWall, readHl7Time, wallTime, zoneClock, type Hl7Time } from '../time/index.js';

export { readHl7Time };
export type { Hl7Time };

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

// The sender's fields are written as sent, with the offset that names their instant.
function withTime(t: Hl7Time, zone: string): string {
  const [mo, d, h, mi, s] = [t.month ?? '01', t.day ?? '01', t.hour ?? '00', t.minute ?? '00', t.second ?? '00'];
  const frac = t.fraction ? `.${t.fraction}` : '';
  const off = t.offset ? `${t.offset.slice(0, 3)}:${t.offset.slice(3)}` : zoneOffset(zone, +t.year, +mo, +d, +h, +mi);
  return `${t.year}-${mo}-${d}T${h}:${mi}:${s}${frac}${off === '+00:00' && !t.offset ? 'Z' : off}`;
}

/** Offset (+hh:mm) of local wall time y-m-d h:mi in an IANA zone, by src/time's rule. */
export function zoneOffset(zone: string, y: number, m: number, d: number, h: number, mi: number): string {
  if (zone === 'UTC' || zone === 'Etc/UTC') return '+00:00';
  return formatOffset(offsetOfWall(zoneClock(zone), wallTime(y, m, d, h, mi)));
}
